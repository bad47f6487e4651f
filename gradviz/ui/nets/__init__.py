"""The Network tab: build a small network, train it live, see its graph and landscape."""
