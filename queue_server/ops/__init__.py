"""Running a hall: the `govhall` command, the production server, the demo and its history,
backups, reports and charts. These call the domain (and, to serve, the web app factory)."""
