"""The main screen, a package: the screen (screen.py), the rows it lists (rows.py), loading and the partial tables
shown meanwhile (loading.py), and the assign / grant / remove flows (flows.py)."""
