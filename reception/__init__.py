"""Reception: staff review of what patients told the assistant (issue 6)."""
