// MetaRecord: object metadata as the disk tier keeps it and peers exchange it: the HEAD answer's
// status and fields, a refusal if any, and when it was asked for and received.
// ObjectMeta::from_head rebuilds the rest from these under the node's current options, so
// freshness after a restart, or on another node, is counted from the original answer.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "upstream/object_meta.hpp"

namespace casserole::mirror {

std::string encode_meta_record(const upstream::ObjectMeta& meta);
// nullopt when `bytes` are not a metadata record.
std::optional<upstream::ObjectMeta> decode_meta_record(std::string_view bytes,
                                                       const upstream::StoreRules& rules);

}  // namespace casserole::mirror
