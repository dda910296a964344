"""Reports: PDF case summaries, the risk landscape (Lagebericht) and the dashboard."""
