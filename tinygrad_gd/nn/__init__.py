"""Neural-network modules, layers, losses and initialisation."""
