"""Purchase orders and deliveries: read models fed by purchasing's events."""
