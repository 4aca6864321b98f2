#include "support/http_client.hpp"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <span>
#include <stdexcept>
#include <system_error>

#include "support/pattern.hpp"
#include "support/sha256.hpp"

namespace casserole::test {
namespace {

// libcurl's global state is initialised once. Its per-transfer SIGPIPE juggling is switched off
// (CURLOPT_NOSIGNAL) because it races between threads; SIGPIPE is ignored once instead.
void initialise_curl() {
  static const bool initialised = [] {
    std::signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
      throw std::runtime_error("curl_global_init failed");
    }
    return true;
  }();
  (void)initialised;
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool names_header(const std::vector<std::string>& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const std::string& header) {
    return iequals(trim(std::string_view(header).substr(0, header.find(':'))), name);
  });
}

struct Transfer {
  const Request& request;
  Response& response;
  Sha256 digest{};
  std::uint64_t body_length = 0;
  std::uint64_t uploaded = 0;
};

std::size_t on_header(char* data, std::size_t, std::size_t size, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::string_view line(data, size);
  // Every interim response (100 Continue) starts over, so only the final one's headers remain.
  if (line.starts_with("HTTP/")) {
    transfer.response.headers.clear();
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    transfer.response.headers.emplace_back(trim(line.substr(0, colon)),
                                           trim(line.substr(colon + 1)));
  }
  return size;
}

std::size_t on_body(char* data, std::size_t, std::size_t size, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  Response& response = transfer.response;
  const auto& limit = transfer.request.abort_after_bytes;
  const std::size_t take =
      limit ? static_cast<std::size_t>(std::min<std::uint64_t>(size, *limit - response.body_size))
            : size;
  transfer.digest.update(data, take);
  if (transfer.request.keep_body) response.body.append(data, take);
  response.body_size += take;
  const bool abort = limit && response.body_size >= *limit;
  return abort ? CURL_WRITEFUNC_ERROR : size;
}

std::size_t on_upload(char* out, std::size_t item_size, std::size_t items, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::size_t n = static_cast<std::size_t>(
      std::min<std::uint64_t>(item_size * items, transfer.body_length - transfer.uploaded));
  if (transfer.request.body) {
    std::memcpy(out, transfer.request.body->data() + transfer.uploaded, n);
  } else {
    fill_pattern(transfer.request.pattern_body->seed, transfer.uploaded,
                 std::span(reinterpret_cast<std::uint8_t*>(out), n));
  }
  transfer.uploaded += n;
  return n;
}

class HeaderList {
 public:
  HeaderList() = default;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  ~HeaderList() { curl_slist_free_all(list_); }

  void append(const std::string& header) {
    curl_slist* grown = curl_slist_append(list_, header.c_str());
    if (grown == nullptr) throw std::bad_alloc();
    list_ = grown;
  }
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

double microseconds_to_seconds(curl_off_t microseconds) {
  return static_cast<double>(microseconds) / 1e6;
}

}  // namespace

struct HttpClient::Handle {
  CURL* curl = nullptr;
  char error[CURL_ERROR_SIZE] = {};
};

HttpClient::HttpClient() : handle_(std::make_unique<Handle>()) {
  initialise_curl();
  handle_->curl = curl_easy_init();
  if (handle_->curl == nullptr) throw std::runtime_error("curl_easy_init failed");
}

HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

HttpClient::~HttpClient() {
  if (handle_) curl_easy_cleanup(handle_->curl);
}

Response HttpClient::perform(const Request& request) {
  Response response;
  Transfer transfer{request, response};
  CURL* curl = handle_->curl;
  // reset() keeps the connection cache, so keep-alive survives between requests.
  curl_easy_reset(curl);
  handle_->error[0] = '\0';
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, handle_->error);
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTP_CONTENT_DECODING, 0L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, request.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_MAX_RECV_SPEED_LARGE,
                   static_cast<curl_off_t>(request.max_bytes_per_second));
  if (!request.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, request.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);

  HeaderList headers;
  for (const auto& header : request.headers) headers.append(header);
  const bool has_body = request.body.has_value() || request.pattern_body.has_value();
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    transfer.body_length = request.body ? request.body->size() : request.pattern_body->size;
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(transfer.body_length));
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_upload);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    // curl would add a form Content-Type and, for big bodies, wait for 100 Continue.
    if (!names_header(request.headers, "Content-Type")) headers.append("Content-Type:");
    if (!names_header(request.headers, "Expect")) headers.append("Expect:");
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  const CURLcode code = curl_easy_perform(curl);
  response.curl_code = code;
  if (code != CURLE_OK) {
    response.error = handle_->error[0] != '\0' ? handle_->error : curl_easy_strerror(code);
  }
  response.body_sha256 = transfer.digest.hex_final();
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_off_t microseconds = 0;
  curl_easy_getinfo(curl, CURLINFO_STARTTRANSFER_TIME_T, &microseconds);
  response.seconds_to_first_byte = microseconds_to_seconds(microseconds);
  curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &microseconds);
  response.seconds_total = microseconds_to_seconds(microseconds);
  long connects = 0;
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
  connections_opened_ += connects;
  return response;
}

std::string Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

bool Response::has_header(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& header) { return iequals(header.first, name); });
}

Response http_get(const std::string& url, std::vector<std::string> headers) {
  HttpClient client;
  return client.perform({.url = url, .headers = std::move(headers)});
}

}  // namespace casserole::test
