"""The Jinja templates of every target, one folder each (package data of wiregen)."""
