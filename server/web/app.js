// The web interface (being written).
