// Progressive enhancement only: every page works without JavaScript.
(function () {
  "use strict";
  // The header search form goes to the A–Z index without JavaScript, to the search page with it.
  document.querySelectorAll("form[data-search-action]").forEach(function (form) {
    form.setAttribute("action", form.getAttribute("data-search-action"));
  });
  // Department pages: filter the category sections instantly (anchors work without JS).
  var nav = document.querySelector(".category-filter[aria-label='按类别筛选']");
  var sections = document.querySelectorAll(".category-section");
  if (nav && sections.length > 1) {
    var links = nav.querySelectorAll("a[data-category]");
    var all = document.createElement("li");
    var allLink = document.createElement("a");
    allLink.href = "#powers-heading";
    allLink.textContent = "全部";
    allLink.setAttribute("aria-current", "true");
    all.appendChild(allLink);
    nav.querySelector("ul").insertBefore(all, nav.querySelector("li"));
    var show = function (category) {
      sections.forEach(function (s) { s.hidden = category !== null && s.dataset.category !== category; });
      var mark = function (a, on) { if (on) { a.setAttribute("aria-current", "true"); } else { a.removeAttribute("aria-current"); } };
      mark(allLink, category === null);
      links.forEach(function (a) { mark(a, a.dataset.category === category); });
    };
    links.forEach(function (a) {
      a.addEventListener("click", function (event) { event.preventDefault(); show(a.dataset.category); });
    });
    allLink.addEventListener("click", function (event) { event.preventDefault(); show(null); });
  }
  // Folded text is printed unfolded.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) { d.setAttribute("open", ""); d.dataset.printOpened = "1"; });
  });
  window.addEventListener("afterprint", function () {
    document.querySelectorAll("details[data-print-opened]").forEach(function (d) { d.removeAttribute("open"); delete d.dataset.printOpened; });
  });
  // The gazette's print button.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
