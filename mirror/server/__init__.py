"""Once per process: settings, the services every session shares, admission, limits, process-wide set-up."""
