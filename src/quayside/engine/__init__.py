"""The only code that runs external programs: `runner` (one choke point, typed errors, a command trace), and the
docker and kubectl wrappers on top of it."""
