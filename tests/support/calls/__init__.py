"""The call-count scenarios: what each provider's red/black (and friends) sends to its cloud,
counted at the fault-and-count proxy. The provider tests assert their budgets; the runners in
``benchmarks/calls/`` record them."""
