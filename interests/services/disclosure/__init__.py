"""Industry payments (Disclosure UK): reading a year's file (`reading`), matching each payment to a
professional (`matching`), saving the year (`importing`) and whether each was declared
(`reconciling`)."""
