"""Small networks: specs, toy datasets, training, and their real loss landscapes."""
