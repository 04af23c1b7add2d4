"""Live window (pyqtgraph) and file pictures."""
