"""The explorer window (PySide6 + pyqtgraph): the only package of the program that imports Qt."""
