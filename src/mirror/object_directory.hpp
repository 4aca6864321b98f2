// ObjectDirectory: the metadata of objects, from the memory tier while fresh, otherwise from one
// HEAD to the upstream however many requests ask at once (a conditional HEAD when a stale copy is
// held, so an unchanged object keeps its version and with it its cached segments). Metadata of
// cacheable objects is kept while fresh; an answer that an object is not cacheable is kept for a
// few seconds, and a refusal recorded with refuse() for as long as the metadata stays fresh.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "async/single_flight.hpp"
#include "cache/memory_store.hpp"
#include "upstream/object_meta.hpp"
#include "upstream/upstream_client.hpp"

namespace casserole::mirror {

using MetaPtr = std::shared_ptr<const upstream::ObjectMeta>;

class ObjectDirectory {
 public:
  ObjectDirectory(cache::MemoryStore& store, upstream::UpstreamClient& upstream,
                  std::chrono::seconds min_ttl)
      : store_(store), upstream_(upstream), min_ttl_(min_ttl) {}

  // Throws UpstreamError when the upstream cannot be asked.
  boost::asio::awaitable<MetaPtr> lookup(const std::string& target);
  // The object changed under us: the next lookup asks the upstream again.
  void invalidate(const std::string& target);
  // Serve this object by streaming through while `meta` stays fresh.
  void refuse(const std::string& target, const MetaPtr& meta, std::string reason);

 private:
  boost::asio::awaitable<MetaPtr> ask_upstream(const std::string& target);
  void remember(const std::string& target, MetaPtr meta,
                std::chrono::system_clock::time_point refused_until);

  cache::MemoryStore& store_;
  upstream::UpstreamClient& upstream_;
  std::chrono::seconds min_ttl_;
  async::SingleFlight<MetaPtr> heads_;
};

}  // namespace casserole::mirror
