"""Parsing: a report's text read line by line into blocks (`reportqa.parse` assembles them into sections).

- `lines`: the source's lines, two columns unwound, and what a line looks like (bullet, heading, furniture).
- `clean`: a block's lines joined into cleaned text that keeps each character's source offset.
- `blocks`: the parser, which reads the lines into paragraphs, bullets, quotes, table rows and headings.
"""
