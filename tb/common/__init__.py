"""Infrastructure both pyuvm environments share: runner, configurations, base test, BFM of masr_top, prediction worker."""
