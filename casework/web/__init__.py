"""Request plumbing shared by pages and the API: the unit of work and the actor (edge),
form helpers, error pages and JSON errors, security headers, and serving."""
