"""Engine commands: calibrate, forecast (registered on the shared app when imported)."""
