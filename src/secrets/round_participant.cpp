#include "secrets/round_participant.hpp"

#include <algorithm>

#include "secrets/round_detail.hpp"

namespace pss::secrets {
using detail::contains;
namespace {

// A participant answers as soon as every dealer is settled, or half a phase
// after it saw dealing close (a dealer's bundle may never come) at a resend
// tick; and again at resend ticks until the log shows its response.
std::vector<part_step> responding(const round_state& r, node_id self, const part_progress& p, millis now) {
  std::vector<part_step> out;
  if (p.resend && contains(r.dealers, self)) out.push_back(part_step::resend_bundles);
  if (r.responses.contains(self)) return out;
  const bool late = p.closed_at && now >= *p.closed_at + p.phase_timeout / 2;
  if ((p.dealers_settled && !p.responded) || ((p.dealers_settled || late) && p.resend))
    out.push_back(part_step::respond);
  return out;
}

} // namespace

std::vector<part_step> plan_part(const round_state& r, node_id self, const part_progress& p, millis now) {
  const bool participant = r.is_participant(self);
  switch (r.phase) {
    case round_phase::dealing:
      if (!participant) return {};
      if (!p.dealt) return {part_step::deal};
      if (p.resend && !r.dealings.contains(self)) return {part_step::resend_dealing};
      return {};
    case round_phase::responding:
      if (!participant) return {};
      return responding(r, self, p, now);
    case round_phase::disputing:
      if (participant && p.resend) return {part_step::reveal};
      return {};
    case round_phase::finishing:
      if (contains(r.receivers, self)) return {r.kind == round_kind::refresh ? part_step::finish_refresh : part_step::send_masked};
      if (r.kind == round_kind::recovery && r.target == self) return {part_step::recover};
      return {};
  }
  return {};
}

} // namespace pss::secrets
