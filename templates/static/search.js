// Search in the browser with lunr.js. The tokenizer and the query rules mirror
// site_builder/search.py exactly; tests run one table of cases against both.
(function () {
  "use strict";
  var CJK = "\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\u{20000}-\\u{3134f}";
  var RUNS = new RegExp("[" + CJK + "]+|[a-z0-9]+", "gu");
  var IS_CJK = new RegExp("^[" + CJK + "]", "u");
  var ENTITY_WEIGHT = 0.5;
  var LIMIT = 200;

  function tokenize(text) {
    var terms = [];
    var runs = String(text).normalize("NFKC").toLowerCase().match(RUNS) || [];
    runs.forEach(function (run) {
      var chars = Array.from(run);
      if (IS_CJK.test(run) && chars.length > 1) {
        for (var i = 0; i < chars.length - 1; i++) { terms.push(chars[i] + chars[i + 1]); }
      } else {
        terms.push(run);
      }
    });
    return terms;
  }
  window.siteSearchTokenize = tokenize;

  var form = document.querySelector("[data-search-page]");
  if (!form || !window.lunr) { return; }
  var input = form.querySelector("input[name=q]");
  var filters = Array.prototype.slice.call(form.querySelectorAll("[data-filter]"));
  var list = document.querySelector("[data-search-results]");
  var status = document.getElementById("search-status");
  var manifest = JSON.parse(form.getAttribute("data-search-manifest"));
  var root = "../";
  var loaded = {};   // shard id -> {index, payload}
  var pending = {};  // shard id -> [callbacks]

  lunr.Pipeline.registerFunction(function (token) {
    return tokenize(token.toString()).map(function (term) { return token.clone(function () { return term; }); });
  }, "cjkBigram");

  function loadShard(shard, done) {
    if (loaded[shard.id]) { done(); return; }
    if (pending[shard.id]) { pending[shard.id].push(done); return; }
    pending[shard.id] = [done];
    var script = document.createElement("script");
    script.src = shard.file;  // relative to search/index.html: works from any sub-path and from the file system
    script.onload = function () {
      var payload = window.siteSearchShards[shard.id];
      loaded[shard.id] = { index: lunr.Index.load(payload.index), payload: payload };
      pending[shard.id].forEach(function (f) { f(); });
      delete pending[shard.id];
    };
    script.onerror = function () { status.textContent = "搜索索引加载失败，请刷新页面重试。"; };
    document.head.appendChild(script);
  }

  function value(name) {
    var select = form.querySelector("[data-filter=" + name + "]");
    return select ? select.value : "";
  }

  function neededShards() {
    var jurisdiction = value("jurisdiction");
    return manifest.shards.filter(function (s) { return s.jurisdiction === null || !jurisdiction || s.jurisdiction === jurisdiction; });
  }

  function whenLoaded(shards, done) {
    var left = shards.length;
    if (!left) { done(); return; }
    shards.forEach(function (s) { loadShard(s, function () { if (--left === 0) { done(); } }); });
  }

  function query(index, terms, presence) {
    return index.query(function (q) {
      terms.forEach(function (term, i) {
        var options = { usePipeline: false, presence: presence };
        if (Array.from(term).length === 1 && IS_CJK.test(term)) {
          options.wildcard = lunr.Query.wildcard.LEADING | lunr.Query.wildcard.TRAILING;
        } else if (i === terms.length - 1 && !IS_CJK.test(term)) {
          options.wildcard = lunr.Query.wildcard.TRAILING;
        }
        q.term(term, options);
      });
    });
  }

  function expand(payload, results) {
    var scores = {};
    results.forEach(function (r) {
      var kind = r.ref.charAt(0), n = Number(r.ref.slice(1)), rows, score = r.score;
      if (kind === "p") { rows = [n]; }
      else if (kind === "d") { rows = []; payload.rows.forEach(function (row, i) { if (row[2] === n) { rows.push(i); } }); score *= ENTITY_WEIGHT; }
      else { rows = payload.laws[n][1]; score *= ENTITY_WEIGHT; }
      rows.forEach(function (row) { if (!(row in scores) || scores[row] < score) { scores[row] = score; } });
    });
    return scores;
  }

  function search(text) {
    var terms = tokenize(text);
    var found = [];
    if (!terms.length) { return found; }
    var presences = [lunr.Query.presence.REQUIRED, lunr.Query.presence.OPTIONAL];
    for (var p = 0; p < presences.length && !found.length; p++) {
      neededShards().forEach(function (shard) {
        var entry = loaded[shard.id];
        var scores = expand(entry.payload, query(entry.index, terms, presences[p]));
        Object.keys(scores).forEach(function (row) { found.push({ shard: shard.id, row: Number(row), score: scores[row] }); });
      });
    }
    found.sort(function (a, b) { return b.score - a.score || (a.shard < b.shard ? -1 : a.shard > b.shard ? 1 : a.row - b.row); });
    return found;
  }

  function render(text) {
    var jurisdiction = value("jurisdiction"), department = value("department"), category = value("category");
    var rows = search(text).map(function (hit) {
      var payload = loaded[hit.shard].payload, row = payload.rows[hit.row], dept = payload.departments[row[2]];
      return { id: row[0], name: row[1], dept: dept, category: payload.categories[row[3]], status: payload.statuses[row[4]] };
    }).filter(function (r) {
      return (!jurisdiction || r.dept[2] === jurisdiction) && (!department || r.dept[0] === department) && (!category || r.category === category);
    });
    list.textContent = "";
    rows.slice(0, LIMIT).forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = root + "powers/" + r.id + ".html";
      a.textContent = r.name;
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = r.dept[1] + " · " + r.category + (r.status === "在用" ? "" : " · " + r.status);
      li.appendChild(a);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(meta);
      list.appendChild(li);
    });
    if (!tokenize(text).length) { status.textContent = ""; }
    else if (!rows.length) { status.textContent = "没有找到与“" + text + "”相关的职权。"; }
    else { status.textContent = "找到 " + rows.length + " 项职权" + (rows.length > LIMIT ? "，显示前 " + LIMIT + " 项" : "") + "。"; }
  }

  function updateUrl() {
    if (!window.history || !window.history.replaceState || location.protocol === "file:") { return; }
    var params = new URLSearchParams();
    if (input.value) { params.set("q", input.value); }
    filters.forEach(function (f) { if (f.value) { params.set(f.name, f.value); } });
    var search = params.toString();
    window.history.replaceState(null, "", search ? "?" + search : location.pathname);
  }

  var timer = null;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var text = input.value;
      updateUrl();
      whenLoaded(neededShards(), function () { if (input.value === text) { render(text); } });
    }, 50);
  }

  var started = false;
  function start() {
    if (started) { return; }
    started = true;
    whenLoaded(neededShards(), function () {});
  }

  var params = new URLSearchParams(location.search);
  filters.forEach(function (f) { if (params.get(f.name)) { f.value = params.get(f.name); } });
  if (manifest.defaultJurisdiction && !params.get("jurisdiction")) {
    form.querySelector("[data-filter=jurisdiction]").value = manifest.defaultJurisdiction;
  }
  input.addEventListener("focus", start);
  input.addEventListener("input", schedule);
  filters.forEach(function (f) { f.addEventListener("change", schedule); });
  form.addEventListener("submit", function (event) { event.preventDefault(); schedule(); });
  if (params.get("q")) {
    input.value = params.get("q");
    start();
    schedule();
  }
})();
