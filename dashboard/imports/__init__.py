"""From an export to a snapshot: what a file is (formats, readers, workbook), its rows into DuckDB as text
(staging), its headers matched (mapping), its values typed by one set of rules (vocabulary, parsing in
Python, values_sql as DuckDB macros), and the import itself (importer: plan, check, commit)."""
