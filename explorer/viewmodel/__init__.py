"""What the window shows, computed without Qt: a view state's timeline, events and layout
(``view``), and the AS graph at its cursor (``graph``), from the same analyses the command line runs."""
