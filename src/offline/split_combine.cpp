#include "offline/split_combine.hpp"

#include <map>
#include <optional>

#include "crypto/envelope.hpp"
#include "crypto/feldman.hpp"
#include "offline/share_text.hpp"

namespace pss::offline {

namespace {

// The envelope of an offline split is bound to this context. The split id
// cannot be part of it, because the id is derived from the ciphertext.
const crypto::envelope_context offline_context{"pss-offline", "pss split", secret_version{1}};

std::string line_prefix(std::size_t line_number) {
  return "line " + std::to_string(line_number) + ": ";
}

error at_line(std::size_t line_number, const error& err) {
  return error{err.code(), line_prefix(line_number) + err.message()};
}

struct numbered_share {
  std::size_t line_number = 0;
  share_line line;
};

struct parsed_input {
  std::optional<commit_line> commit;
  std::size_t commit_line_number = 0;
  std::vector<numbered_share> shares;
};

result<parsed_input> parse_input(std::string_view input) {
  parsed_input out;
  std::size_t line_number = 0;
  while (!input.empty()) {
    ++line_number;
    const auto newline = input.find('\n');
    const auto text = input.substr(0, newline);
    input.remove_prefix(newline == std::string_view::npos ? input.size() : newline + 1);
    auto parsed = parse_line(text);
    if (!parsed.ok())
      return at_line(line_number, parsed.err());
    if (auto* share = std::get_if<share_line>(&*parsed)) {
      out.shares.push_back({line_number, std::move(*share)});
    } else if (auto* commit = std::get_if<commit_line>(&*parsed)) {
      if (out.commit && !(*out.commit == *commit))
        return error{errc::mismatch,
                     line_prefix(line_number) + "a second, different commitment line (the first is on line "
                       + std::to_string(out.commit_line_number) + "); give the one from the same split"};
      if (!out.commit) {
        out.commit = std::move(*commit);
        out.commit_line_number = line_number;
      }
    }
  }
  if (!out.commit)
    return error{errc::insufficient,
                 "no commitment line (the line starting with 'pss1:commit:') was given"};
  return out;
}

status check_belongs(const numbered_share& s, const commit_line& commit) {
  if (s.line.id != commit.id)
    return error{errc::mismatch, line_prefix(s.line_number) + "share " + std::to_string(s.line.index)
                                   + " belongs to split " + to_hex(s.line.id)
                                   + ", but the commitment line is for split "
                                   + to_hex(commit.id)};
  if (s.line.threshold != commit.threshold || s.line.shares != commit.shares)
    return error{errc::mismatch, line_prefix(s.line_number) + "share " + std::to_string(s.line.index)
                                   + " says t=" + std::to_string(s.line.threshold) + " n="
                                   + std::to_string(s.line.shares) + ", the commitment line says t="
                                   + std::to_string(commit.threshold) + " n="
                                   + std::to_string(commit.shares)};
  return {};
}

// The reason a share does not verify, or nothing if it does.
std::optional<std::string> verify_share(const numbered_share& s,
                                        const crypto::commitment& commitments,
                                        crypto::share& out) {
  auto value = crypto::scalar::from_bytes(s.line.value.view());
  if (!value.ok())
    return "share " + std::to_string(s.line.index) + " (line " + std::to_string(s.line_number)
           + ") is not a valid scalar";
  out = crypto::share{share_index{s.line.index}, *value};
  if (!commitments.verify(out).ok())
    return "share " + std::to_string(s.line.index) + " (line " + std::to_string(s.line_number)
           + ") fails verification against the commitments";
  return std::nullopt;
}

} // namespace

result<split_output> split(byte_view secret, std::size_t threshold, std::size_t shares,
                           crypto::random_source& rng) {
  if (secret.empty())
    return error{errc::invalid_argument, "the secret is empty"};
  if (secret.size() > secret_bytes_max)
    return error{errc::too_large, "the secret is " + std::to_string(secret.size())
                                    + " bytes, above the limit of "
                                    + std::to_string(secret_bytes_max)};
  PSS_TRY(crypto::check_threshold(threshold, shares));
  const auto k = crypto::scalar::random_nonzero(rng);
  auto sealed = crypto::envelope_seal(k, secret, offline_context, rng);
  PSS_TRY(sealed);
  auto dealt = crypto::deal(k, threshold, shares, rng);
  PSS_TRY(dealt);

  commit_line commit;
  commit.threshold = static_cast<std::uint32_t>(threshold);
  commit.shares = static_cast<std::uint32_t>(shares);
  commit.ciphertext = sealed->encode();
  for (const auto& point : dealt->commitments.points())
    commit.commitments.insert(commit.commitments.end(), point.bytes().begin(), point.bytes().end());
  commit.id = derive_split_id(commit.threshold, commit.shares, commit.commitments,
                              commit.ciphertext);

  split_output out;
  for (const auto& s : dealt->shares) {
    share_line line{commit.threshold, commit.shares, s.index.value(), commit.id,
                    s.value.to_secure_bytes()};
    auto text = format(line);
    out.share_lines.emplace_back(as_bytes(text));
    zeroize(std::span{reinterpret_cast<std::uint8_t*>(text.data()), text.size()});
  }
  out.commit_line = format(commit);
  return out;
}

result<combine_output> combine(std::string_view input, const combine_options& options) {
  auto parsed = parse_input(input);
  PSS_TRY(parsed);
  const commit_line& commit = *parsed->commit;
  auto commitments = crypto::commitment::decode(
    [&] {
      byte_writer w;
      w.u16(static_cast<std::uint16_t>(commit.threshold));
      w.raw(commit.commitments);
      return w.take();
    }(),
    commit.threshold);
  if (!commitments.ok())
    return at_line(parsed->commit_line_number, commitments.err());

  std::map<std::uint32_t, std::size_t> seen; // index -> line number
  for (const auto& s : parsed->shares) {
    PSS_TRY(check_belongs(s, commit));
    auto [it, inserted] = seen.emplace(s.line.index, s.line_number);
    if (!inserted)
      return error{errc::duplicate, line_prefix(s.line_number) + "share "
                                      + std::to_string(s.line.index)
                                      + " appears twice (also on line "
                                      + std::to_string(it->second) + ")"};
  }

  combine_output out;
  std::vector<crypto::share> valid;
  std::string refused;
  for (const auto& s : parsed->shares) {
    crypto::share checked;
    if (auto reason = verify_share(s, *commitments, checked)) {
      out.skipped.push_back(*reason);
      refused += (refused.empty() ? "" : "; ") + *reason;
    } else {
      valid.push_back(checked);
    }
  }
  if (!refused.empty() && !options.skip_invalid)
    return error{errc::verification_failed,
                 refused + " (use --skip-invalid to combine the valid shares only)"};
  if (valid.size() < commit.threshold)
    return error{errc::insufficient,
                 "too few valid shares: found " + std::to_string(valid.size()) + ", need "
                   + std::to_string(commit.threshold)};

  auto k = crypto::interpolate_secret(valid, commit.threshold);
  PSS_TRY(k);
  auto sealed = crypto::envelope::decode(commit.ciphertext);
  if (!sealed.ok())
    return at_line(parsed->commit_line_number, sealed.err());
  auto secret = crypto::envelope_open(*k, *sealed, offline_context);
  if (!secret.ok())
    return error{errc::verification_failed,
                 "the shares verified but the ciphertext did not decrypt; the commitment "
                 "line may have been altered"};
  out.secret = std::move(*secret);
  return out;
}

} // namespace pss::offline
