"""`make loadtest`: the production stack on loopback driven by Locust (see README "Load test")."""
