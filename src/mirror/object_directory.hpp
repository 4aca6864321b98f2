// ObjectDirectory: the metadata of objects, from the memory tier or the disk tier while fresh,
// otherwise from the object's owner node in a cluster (the one that keeps it on disk and makes
// the one HEAD), otherwise from one HEAD to the upstream however many requests ask at once (a
// conditional HEAD when a stale copy is held, so an unchanged object keeps its version and with
// it its cached segments). An owner that lacks the metadata first asks the previous owner for
// its stored copy, so a node joining the cluster costs no HEADs. Metadata of cacheable objects is
// kept in memory and on disk; an answer that an object is not cacheable is kept in memory for a few
// seconds, and a refusal recorded with refuse() for as long as the metadata stays fresh. Either
// also removes the disk's copy.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "async/single_flight.hpp"
#include "cache/memory_store.hpp"
#include "disk/disk_store.hpp"
#include "mirror/mirror_options.hpp"
#include "mirror/reach.hpp"
#include "mirror/trace.hpp"
#include "peering/peer_group.hpp"
#include "upstream/object_meta.hpp"
#include "upstream/upstream_client.hpp"

namespace casserole::mirror {

using MetaPtr = std::shared_ptr<const upstream::ObjectMeta>;

class ObjectDirectory {
 public:
  // `disk` may be null: no disk tier; `peers` may be null: a node alone.
  ObjectDirectory(cache::MemoryStore& store, disk::DiskStore* disk,
                  upstream::UpstreamClient& upstream, upstream::CachePolicy policy,
                  peering::PeerGroup* peers = nullptr, MetadataFrom from = MetadataFrom::head)
      : store_(store),
        disk_(disk),
        upstream_(upstream),
        policy_(std::move(policy)),
        peers_(peers),
        from_(from) {}

  // Metadata learned from the first segment's ranged GET (MetadataFrom::get, or a HEAD that
  // fell short) comes with that segment's bytes: `take` receives the answer, its body unread, to
  // fill the segment instead of fetching it again. Without a taker the body is dropped.
  using FirstSegmentTaker = std::function<void(const std::string& target, const MetaPtr& meta,
                                               std::unique_ptr<upstream::UpstreamResponse> answer)>;
  void on_first_segment(FirstSegmentTaker take) { first_segment_ = std::move(take); }

  // Throws UpstreamError when the upstream cannot be asked. With Reach::stored, null when this
  // node holds no fresh metadata.
  // `trace`, when given, notes what the lookup took (mirror/trace.hpp).
  boost::asio::awaitable<MetaPtr> lookup(const std::string& target, Reach reach = Reach::cluster,
                                         Trace* trace = nullptr);
  // lookup()'s answer when memory holds valid metadata, else null; never waits. Callers ask it
  // first: the coroutine call of lookup() for that common answer showed in the profile.
  MetaPtr held(const std::string& target);
  // The metadata as the upstream confirms it now (a conditional HEAD when a copy is held), for
  // a request that will not take a stored response on trust.
  boost::asio::awaitable<MetaPtr> revalidate(const std::string& target, Trace* trace = nullptr);
  // The object changed under us: the next lookup asks the upstream again.
  void invalidate(const std::string& target);
  // Serve this object by streaming through while `meta` stays fresh.
  void refuse(const std::string& target, const MetaPtr& meta, std::string reason);

  // The cacheable objects whose metadata memory holds, fresh or not, by cache key.
  std::vector<std::pair<std::string, MetaPtr>> held_objects() const;

  // The key an object's metadata is stored and owned under: objects are named by their cache
  // key (CachePolicy::key_of), asked for by their target.
  std::string meta_key(const std::string& target) const;

 private:
  boost::asio::awaitable<MetaPtr> find_or_ask(const std::string& target, Reach reach, Trace* trace);
  boost::asio::awaitable<MetaPtr> from_disk(const std::string& target);
  // Null when the peer holds none or cannot answer.
  boost::asio::awaitable<MetaPtr> from_peer(const std::string& peer, const std::string& target,
                                            peering::Scope scope);
  boost::asio::awaitable<MetaPtr> ask_upstream(const std::string& target, MetaPtr stale,
                                               Trace* trace);
  // The upstream's answer, or null when it cannot be reached and `stale` may serve meanwhile.
  boost::asio::awaitable<std::unique_ptr<upstream::UpstreamResponse>> ask_or_keep(
      boost::beast::http::verb method, const std::string& target,
      const upstream::HeaderList& fields, const MetaPtr& stale, Trace* trace);
  // The metadata an answer (`status`, `fields`) gives, remembered: a 304 to a validation
  // refreshes `stale`; another answer is read as a HEAD's, refused for `refusal` when set.
  MetaPtr learn(const std::string& target, const MetaPtr& stale, bool validating, unsigned status,
                upstream::HeaderList fields, std::chrono::system_clock::time_point request_time,
                std::string_view refusal = {});
  // A HEAD answer that does not give the metadata: refused (403, 405, 501) or without length.
  static bool head_falls_short(const upstream::UpstreamResponse& response);
  // The metadata from the first segment's ranged GET, `conditions` validating `stale`.
  boost::asio::awaitable<MetaPtr> probe(const std::string& target, MetaPtr stale,
                                        upstream::HeaderList conditions,
                                        std::chrono::system_clock::time_point request_time,
                                        Trace* trace);
  // The status and fields a 200 for the whole object would have had.
  static std::pair<unsigned, upstream::HeaderList> whole_object_answer(
      const upstream::UpstreamResponse& response);
  enum class Keep { in_memory, also_on_disk };
  void remember(const std::string& target, MetaPtr meta,
                std::chrono::system_clock::time_point refused_until, Keep keep);

  cache::MemoryStore& store_;
  disk::DiskStore* disk_;
  upstream::UpstreamClient& upstream_;
  const upstream::CachePolicy policy_;
  peering::PeerGroup* peers_;
  const MetadataFrom from_;
  FirstSegmentTaker first_segment_;
  async::SingleFlight<MetaPtr> heads_;
};

}  // namespace casserole::mirror
