"""Users: the people of an organization and their roles."""
