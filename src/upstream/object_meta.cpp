#include "upstream/object_meta.hpp"

#include <charconv>

#include "http/cache_control.hpp"
#include "http/header_util.hpp"
#include "http/http_date.hpp"

namespace casserole::upstream {
namespace {

std::optional<std::uint64_t> parse_length(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Long enough to mean "never" (RFC 9111 §5.2.2.1 calls a year a long time), short enough for any
// clock arithmetic.
constexpr std::chrono::seconds kImmutableLifetime = std::chrono::hours(24 * 365);

bool has_validator(const ObjectMeta& meta) {
  return (meta.etag() && !meta.etag()->weak) || !meta.last_modified().empty();
}

// The lifetime the operator's rules give in place of the answer's, if any.
std::optional<std::chrono::seconds> operator_lifetime(const http::Freshness& freshness,
                                                      const StoreRules& rules) {
  if (rules.immutable) return kImmutableLifetime;
  if (rules.ttl) return rules.ttl;
  if (freshness.basis == http::Freshness::Basis::none && rules.default_ttl.count() > 0) {
    return rules.default_ttl;
  }
  return std::nullopt;
}

// Why these fields forbid storing, `cc` being their Cache-Control; empty when nothing does.
std::string storing_forbidden(const HeaderList& headers, const http::CacheControl& cc) {
  if (cc.no_store) return "no-store";
  if (cc.is_private) return "private";
  if (has_field(headers, "Set-Cookie")) return "Set-Cookie";
  if (http::list_contains(joined_values(headers, "Vary"), "*")) return "Vary: *";
  return {};
}

// Why an object may not be cached, or empty when it may; `cc` is its Cache-Control.
std::string refusal(const ObjectMeta& meta, const http::CacheControl& cc,
                    std::chrono::seconds remaining, const StoreRules& rules) {
  if (meta.status() != 200) return "status " + std::to_string(meta.status());
  if (!meta.length()) return "no Content-Length";
  if (auto forbidden = storing_forbidden(meta.headers(), cc); !forbidden.empty()) return forbidden;
  if (http::iequals(first_value(meta.headers(), "Accept-Ranges"), "none")) return "no ranges";
  // Segments fetched apart could be of different versions, and nothing would tell.
  if (!has_validator(meta) && !rules.immutable && *meta.length() > rules.one_answer_size) {
    return "no validator";
  }
  // no-cache: stored, and validated before every use (RFC 9111 §5.2.2.4); else an answer must
  // be fresh, and fresh for long enough.
  if (!cc.no_cache && (remaining < rules.min_ttl || remaining.count() <= 0)) {
    return "fresh for " + std::to_string(std::max<std::int64_t>(remaining.count(), 0)) + "s";
  }
  return {};
}

}  // namespace

std::string storing_forbidden(const HeaderList& headers) {
  return storing_forbidden(headers,
                           http::parse_cache_control(joined_values(headers, "Cache-Control")));
}

ObjectMeta ObjectMeta::from_head(unsigned status, HeaderList headers,
                                 Clock::time_point request_time, Clock::time_point response_time,
                                 const StoreRules& rules) {
  ObjectMeta meta;
  meta.status_ = status;
  meta.headers_ = end_to_end(std::move(headers));
  // Parsed once here: freshness, what may be stored and what is withheld all read it.
  const std::string cache_control = joined_values(meta.headers_, "Cache-Control");
  const http::CacheControl cc = http::parse_cache_control(cache_control);
  // RFC 9111 §5.2.2.4, §5.2.2.7: fields a qualified no-cache or private names are never stored.
  for (const std::string& withheld : cc.withheld_fields) {
    std::erase_if(meta.headers_,
                  [&](const auto& field) { return http::iequals(field.first, withheld); });
  }
  meta.length_ = parse_length(first_value(meta.headers_, "Content-Length"));
  meta.etag_ = http::parse_entity_tag(first_value(meta.headers_, "ETag"));
  meta.last_modified_ = std::string(first_value(meta.headers_, "Last-Modified"));
  meta.freshness_ = http::compute_freshness(http::FreshnessInput{
      .status = static_cast<int>(status),
      .cache_control = cache_control,
      .expires = first_value(meta.headers_, "Expires"),
      .date = first_value(meta.headers_, "Date"),
      .last_modified = meta.last_modified_,
      .age = first_value(meta.headers_, "Age"),
      .request_time = request_time,
      .response_time = response_time,
  });
  if (auto lifetime = operator_lifetime(meta.freshness_, rules))
    meta.freshness_.lifetime = *lifetime;
  meta.request_time_ = request_time;
  meta.response_time_ = response_time;
  auto remaining = meta.freshness_.lifetime - meta.freshness_.initial_age;
  meta.reason_ = refusal(meta, cc, remaining, rules);
  meta.cacheable_ = meta.reason_.empty();
  const std::string length = meta.length_ ? std::to_string(*meta.length_) : "?";
  if (meta.etag_ && !meta.etag_->weak) {
    meta.version_ = "e" + meta.etag_->opaque + "/" + length;
  } else if (!meta.last_modified_.empty()) {
    meta.version_ = "m" + meta.last_modified_ + "/" + length;
  } else if (rules.immutable) {
    meta.version_ = "i/" + length;
  } else {
    // Nothing tells this answer's bytes from the next one's: a refetch is a new version.
    meta.version_ = "t" + std::to_string(response_time.time_since_epoch().count()) + "/" + length;
  }
  const std::string vary = joined_values(meta.headers_, "Vary");
  for (std::string_view name : http::split_list(vary)) meta.vary_fields_.emplace_back(name);
  return meta;
}

ObjectMeta ObjectMeta::revalidated(const HeaderList& not_modified, Clock::time_point request_time,
                                   Clock::time_point response_time, const StoreRules& rules) const {
  HeaderList merged = headers_;
  HeaderList updates = end_to_end(not_modified);
  // Content-Length of a 304 describes no body; the stored one still describes the object.
  std::erase_if(updates, [](const auto& f) { return http::iequals(f.first, "Content-Length"); });
  // The 304 is a new answer: its own Date and Age (or their absence) date it, not the first
  // answer's. RFC 9110 §6.6.1: a response without Date is dated when it arrives.
  if (!has_field(updates, "Date")) {
    updates.emplace_back("Date", http::format_http_date(response_time));
  }
  std::erase_if(merged, [&](const auto& stored) {
    return has_field(updates, stored.first) || http::iequals(stored.first, "Age");
  });
  merged.insert(merged.end(), updates.begin(), updates.end());
  return from_head(status_, std::move(merged), request_time, response_time, rules);
}

ObjectMeta ObjectMeta::refused(std::string reason) const {
  ObjectMeta copy = *this;
  copy.cacheable_ = false;
  copy.reason_ = std::move(reason);
  return copy;
}

std::chrono::seconds ObjectMeta::age(Clock::time_point now) const {
  return http::current_age(freshness_, response_time_, now);
}

std::chrono::seconds ObjectMeta::remaining_freshness(Clock::time_point now) const {
  return freshness_.lifetime - age(now);
}

bool ObjectMeta::may_serve_stale() const {
  auto cc = http::parse_cache_control(joined_values(headers_, "Cache-Control"));
  // s-maxage has proxy-revalidate's meaning for a shared cache (RFC 9111 §5.2.2.10).
  return !cc.must_revalidate && !cc.proxy_revalidate && !cc.no_cache && !cc.s_maxage;
}

HeaderList ObjectMeta::fetch_conditions() const {
  if (etag_ && !etag_->weak) return {{"If-Match", etag_->to_string()}};
  if (!last_modified_.empty()) return {{"If-Unmodified-Since", last_modified_}};
  return {};
}

HeaderList ObjectMeta::revalidation_conditions() const {
  HeaderList out;
  if (etag_) out.emplace_back("If-None-Match", etag_->to_string());
  if (!last_modified_.empty()) out.emplace_back("If-Modified-Since", last_modified_);
  return out;
}

std::uint64_t ObjectMeta::footprint() const {
  std::uint64_t bytes = sizeof(ObjectMeta);
  for (const auto& [name, value] : headers_) bytes += name.size() + value.size() + 64;
  bytes += version_.size();
  for (const auto& name : vary_fields_) bytes += name.size() + 32;
  return bytes;
}

}  // namespace casserole::upstream
