"""The site model: which pages exist, at which paths, and what the tables hold.

``pages`` plans every page from the public view of the dataset (``Site`` is the one object
the templates see); ``urls`` makes every path and link of the built site; ``tables`` defines
every open-data table and column once, for the CSV files, the workbook, the data dictionary
and the Table Schemas.
"""
