// The crypto floor of a simulated operation (issue 14, part 5): the
// cryptography a put and a get cannot avoid in this design, timed in the
// running process, so the simulator's wall time per operation can be set
// against it in the same run. Not a test and asserts nothing about time.
#pragma once

#include <cstddef>

namespace pss::sim {

struct crypto_floor {
  double put_us = 0; // per put: deal, seal n shares, sign n+1 requests; n × (verify, open, check)
  double get_us = 0; // per get: t × (sign, verify, seal to the reader, open, check), combine, open
};

// Medians over `reps` timed repetitions for n members and threshold t.
[[nodiscard]] crypto_floor measure_crypto_floor(std::size_t n, std::size_t t, int reps);

} // namespace pss::sim
