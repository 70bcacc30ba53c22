"""Fault drills: a soak of real scans through the Procfile's processes while faults are injected (`bin/drill`)."""
