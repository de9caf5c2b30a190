"""Working with sets of objects: choosing them by class, size and score; renaming classes."""
