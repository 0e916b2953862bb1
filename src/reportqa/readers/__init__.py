"""Readers: a report file as the text a reader of it sees, which the corpus stores.

- `new_file`: a new report file checked, read with the reader of its type, and made uniform corpus text.
- `html`: a web page's visible text; `pdf`: a PDF page's visible text, read with `pdf_content` (its content
  streams), `pdf_geometry` (matrices and boxes) and `pdf_resources` (pypdf's objects, colours and fonts).
"""
