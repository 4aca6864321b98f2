// Trace: what finding one request's metadata and segments took, noted by ObjectDirectory and
// SegmentSource for the handler that asked, which reports it (Cache-Status, the access log, the
// metrics). Only work the request itself started is counted; a request that waited for a fetch
// another request had started is marked collapsed instead.
#pragma once

namespace casserole::mirror {

struct Trace {
  enum class Metadata { held, from_peer, fetched, revalidated };
  Metadata metadata = Metadata::held;
  unsigned upstream_status = 0;  // of the last metadata request (HEAD or probing GET)
  bool collapsed = false;
  unsigned upstream_requests = 0;
  unsigned peer_requests = 0;
};

}  // namespace casserole::mirror
