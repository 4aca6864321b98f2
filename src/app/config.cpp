#include "app/config.hpp"

#include "app/option_values.hpp"

#include <boost/program_options.hpp>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <string_view>
#include <type_traits>
#include <utility>

namespace casserole::app {
namespace {

namespace po = boost::program_options;

constexpr std::string_view kEnvironmentPrefix = "CASSEROLE_";
constexpr char kUrlHint[] = "use http:// or https:// with a host, and no user, query or fragment";
constexpr char kGlobHint[] = "patterns match request paths, so start them with / or *";

std::optional<std::string> parse_path_glob(std::string_view text) {
  if (!text.starts_with('/') && !text.starts_with('*')) return std::nullopt;
  return std::string(text);
}

// How an option is written: "--name=value" or "--name value"; a boolean that may stand alone;
// or a list, repeatable and comma-separated.
enum class Form { value, flag, list };

// One setting: how it is written and documented, how its text is checked and stored into a
// Config, and how a Config's value is shown again (for the defaults in --help).
struct Option {
  std::string_view name;
  std::string_view value_name;
  std::string_view description;
  Form form;
  // Stores `values` (exactly one, or a list's items) into `config`; on bad input returns the
  // reason, e.g. `invalid size "12Q" (use ...)`, and leaves `config` unspecified.
  std::function<std::optional<std::string>(const std::vector<std::string>& values, Config& config)>
      store;
  std::function<std::string(const Config& config)> show;
};

template <class T>
using Parser = std::function<std::optional<T>(std::string_view text)>;

// Command-line tokens and environment values are shown with control characters escaped, so that
// every error stays on one line.
std::string escape(std::string_view text) {
  std::string escaped;
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      escaped += '\\';
      escaped += c;
    } else if (std::iscntrl(static_cast<unsigned char>(c))) {
      char code[8];
      std::snprintf(code, sizeof code, "\\x%02x", static_cast<unsigned char>(c));
      escaped += code;
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::string quote(std::string_view text) {
  return "\"" + escape(text) + "\"";
}

std::string invalid(std::string_view what, std::string_view text, std::string_view hint) {
  return "invalid " + std::string(what) + " " + quote(text) + " (" + std::string(hint) + ")";
}

// An option holding one `what` (e.g. "size") in `field`; `hint` says what valid text looks like.
template <class T>
Option value_option(std::string_view name, std::string_view value_name,
                    std::string_view description, T Config::*field, std::string_view what,
                    std::string hint, std::type_identity_t<Parser<T>> parse,
                    std::function<std::string(const T&)> show) {
  return Option{
      name,
      value_name,
      description,
      Form::value,
      [=](const std::vector<std::string>& values, Config& config) -> std::optional<std::string> {
        auto value = parse(values.front());
        if (!value) return invalid(what, values.front(), hint);
        config.*field = std::move(*value);
        return std::nullopt;
      },
      [=](const Config& config) { return show(config.*field); }};
}

Option flag_option(std::string_view name, std::string_view description, bool Config::*field) {
  Option option =
      value_option<bool>(name, "BOOL", description, field, "boolean", "use true or false",
                         parse_bool, [](bool value) { return value ? "true" : "false"; });
  option.form = Form::flag;
  return option;
}

// An option naming one of two ways, `off` or `on`, kept as whether it is `on`. `value_name` is
// "off|on" as --help shows it.
Option either_option(std::string_view name, std::string_view value_name,
                     std::string_view description, bool Config::*field, std::string_view what,
                     std::string off, std::string on) {
  return value_option<bool>(
      name, value_name, description, field, what, "use " + off + " or " + on,
      [=](std::string_view text) -> std::optional<bool> {
        if (text == off) return false;
        if (text == on) return true;
        return std::nullopt;
      },
      [=](bool value) { return value ? on : off; });
}

// An option holding a list in `field`; each item is checked by `parse` and kept as written.
Option list_option(std::string_view name, std::string_view value_name, std::string_view description,
                   std::vector<std::string> Config::*field, std::string_view what, std::string hint,
                   Parser<std::string> parse) {
  return Option{
      name,
      value_name,
      description,
      Form::list,
      [=](const std::vector<std::string>& values, Config& config) -> std::optional<std::string> {
        std::vector<std::string> items;
        for (const auto& value : values) {
          auto item = parse(value);
          if (!item) return invalid(what, value, hint);
          items.push_back(std::move(*item));
        }
        config.*field = std::move(items);
        return std::nullopt;
      },
      [=](const Config& config) {
        std::string shown;
        for (const auto& item : config.*field) shown += (shown.empty() ? "" : ",") + item;
        return shown.empty() ? std::string("none") : shown;
      }};
}

Option size_option(std::string_view name, std::string_view description,
                   std::uint64_t Config::*field, std::uint64_t min = 0,
                   std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) {
  std::string hint = "use a number with an optional K, M, G or T suffix";
  if (min != 0 || max != std::numeric_limits<std::uint64_t>::max()) {
    hint += ", from " + format_size(min) + " to " + format_size(max);
  }
  return value_option<std::uint64_t>(
      name, "SIZE", description, field, "size", hint,
      [=](std::string_view text) -> std::optional<std::uint64_t> {
        const auto size = parse_size(text);
        if (!size || *size < min || *size > max) return std::nullopt;
        return size;
      },
      format_size);
}

// A duration stored in `field`'s own unit: text that does not convert exactly (500ms into
// seconds) is refused rather than silently rounded.
template <class Duration>
Option duration_option(std::string_view name, std::string_view description, Duration Config::*field,
                       Duration min) {
  constexpr bool whole_seconds = std::is_same_v<Duration, std::chrono::seconds>;
  std::string hint = whole_seconds ? "use whole seconds with an optional s, m, h or d suffix"
                                   : "use a number with an optional ms, s, m, h or d suffix";
  if (min > Duration::zero()) hint += ", above zero";
  return value_option<Duration>(
      name, "DURATION", description, field, "duration", hint,
      [=](std::string_view text) -> std::optional<Duration> {
        const auto duration = parse_duration(text);
        if (!duration || *duration < min) return std::nullopt;
        const auto converted = std::chrono::duration_cast<Duration>(*duration);
        if (converted != *duration) return std::nullopt;
        return converted;
      },
      [](const Duration& value) {
        return format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(value));
      });
}

template <class T>
Option count_option(std::string_view name, std::string_view description, T Config::*field, T min,
                    T max) {
  return value_option<T>(
      name, "COUNT", description, field, "count",
      "use a whole number from " + std::to_string(min) + " to " + std::to_string(max),
      [=](std::string_view text) -> std::optional<T> {
        const auto count = parse_count(text);
        if (!count || *count < min || *count > max) return std::nullopt;
        return static_cast<T>(*count);
      },
      [](const T& value) { return std::to_string(value); });
}

Option url_option(std::string_view name, std::string_view description, std::string Config::*field) {
  return value_option<std::string>(name, "URL", description, field, "URL", kUrlHint, parse_http_url,
                                   [](const std::string& url) { return url; });
}

// A listening address fills two fields, so it is written out rather than built from one field.
Option address_option(std::string_view name, std::string_view description,
                      std::string Config::*host, std::uint16_t Config::*port) {
  return Option{
      name,
      "HOST:PORT",
      description,
      Form::value,
      [=](const std::vector<std::string>& values, Config& config) -> std::optional<std::string> {
        const auto address = parse_host_port(values.front());
        if (!address) {
          return invalid(name, values.front(),
                         "use host:port or [ipv6]:port, with a port from 1 to 65535");
        }
        config.*host = address->host;
        config.*port = address->port;
        return std::nullopt;
      },
      [=](const Config& config) {
        return format_host_port({config.*host, config.*port});
      }};
}

// A secret is never echoed, not even in the error about a bad one: logs are read by more people
// than the secret is meant for.
Option secret_option(std::string_view name, std::string_view description,
                     std::string Config::*field) {
  return Option{
      name,
      "SECRET",
      description,
      Form::value,
      [=](const std::vector<std::string>& values, Config& config) -> std::optional<std::string> {
        const std::string& text = values.front();
        bool printable =
            std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
        if (text.empty() || !printable) {
          return "invalid secret (use printable characters without spaces)";
        }
        config.*field = text;
        return std::nullopt;
      },
      [=](const Config& config) {
        return (config.*field).empty() ? std::string("none") : std::string("(set)");
      }};
}

const std::vector<Option>& options() {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  constexpr std::uint64_t KiB = 1024;
  constexpr std::uint64_t GiB = 1024 * Config::kMiB;
  static const std::vector<Option> all = {
      address_option("address", "Address to listen on for clients", &Config::listen_host,
                     &Config::listen_port),
      url_option("mirror-url", "Upstream URL root that requests are mirrored from",
                 &Config::mirror_url),
      size_option("max-memory-usage", "Memory for cached segments and metadata",
                  &Config::max_memory_usage),
      flag_option("disk-cache-enabled", "Keep segments on disk as well as in memory",
                  &Config::disk_cache_enabled),
      value_option<std::filesystem::path>(
          "disk-cache-dir", "DIR", "Directory holding the disk cache", &Config::disk_cache_dir,
          "directory", "use a non-empty path",
          [](std::string_view text) -> std::optional<std::filesystem::path> {
            if (text.empty()) return std::nullopt;
            return std::filesystem::path(text);
          },
          [](const std::filesystem::path& dir) { return dir.string(); }),
      size_option("max-disk-usage", "Disk usage that starts removing least recently used segments",
                  &Config::max_disk_usage),
      size_option("cleaned-disk-usage", "Disk usage that removal brings the cache back under",
                  &Config::cleaned_disk_usage),
      list_option("etcd", "URL[,URL...]", "etcd endpoints to find peers through; none: standalone",
                  &Config::etcd, "URL", kUrlHint, parse_http_url),
      value_option<std::string>(
          "peering-address", "URL", "URL this node's peering listener is reached at by peers",
          &Config::peering_address, "URL",
          "use http://host:port: the peering listener speaks plain HTTP at the root",
          [](std::string_view text) -> std::optional<std::string> {
            auto url = parse_http_url(text);
            if (!url || !url->starts_with("http://") ||
                url->find('/', std::string_view("http://").size()) != std::string::npos) {
              return std::nullopt;
            }
            return url;
          },
          [](const std::string& url) { return url; }),
      secret_option("cluster-secret", "Secret that peer requests must carry; none: not checked",
                    &Config::cluster_secret),
      list_option("passthrough", "GLOB[,GLOB...]", "Request path patterns that are never cached",
                  &Config::passthrough, "pattern", kGlobHint, parse_path_glob),
      size_option("segment-size", "Size of the ranged upstream fetches objects are cached in",
                  &Config::segment_size, 4 * KiB, GiB),
      duration_option("min-ttl", "Shortest freshness lifetime worth caching", &Config::min_ttl,
                      seconds::zero()),
      duration_option("default-ttl",
                      "Freshness lifetime of answers that state none and have no Last-Modified",
                      &Config::default_ttl, seconds::zero()),
      list_option("ttl", "GLOB=DURATION[,...]",
                  "Freshness lifetime for matching paths, in place of the upstream's", &Config::ttl,
                  "path TTL",
                  "use GLOB=DURATION, the glob starting with / or *, whole seconds above zero",
                  [](std::string_view text) -> std::optional<std::string> {
                    if (!parse_path_ttl(text)) return std::nullopt;
                    return std::string(text);
                  }),
      list_option("immutable", "GLOB[,GLOB...]",
                  "Paths whose bytes never change: cached without a validator, never revalidated",
                  &Config::immutable, "pattern", kGlobHint, parse_path_glob),
      either_option(
          "metadata-from", "head|get",
          "How a cold object's metadata is asked for: HEAD, or the first segment's ranged GET",
          &Config::metadata_from_get, "source", "head", "get"),
      list_option("cache-key-ignore-query", "GLOB[,GLOB...]",
                  "Query parameters left out of the cache key but sent upstream",
                  &Config::cache_key_ignore_query, "parameter pattern",
                  "name query parameters, e.g. X-Amz-*, without ? & or =",
                  [](std::string_view text) -> std::optional<std::string> {
                    if (text.empty() || text.find_first_of("?&=") != std::string_view::npos) {
                      return std::nullopt;
                    }
                    return std::string(text);
                  }),
      duration_option("upstream-connect-timeout", "Time allowed to connect to the upstream",
                      &Config::upstream_connect_timeout, milliseconds(1)),
      duration_option("upstream-timeout", "Time an upstream read or write may stay idle",
                      &Config::upstream_timeout, milliseconds(1)),
      duration_option("peer-timeout",
                      "Time a peer may stay silent before its keys are fetched elsewhere",
                      &Config::peer_timeout, milliseconds(1)),
      count_option<std::size_t>("upstream-max-idle", "Idle keep-alive upstream connections kept",
                                &Config::upstream_max_idle, 0, 4096),
      flag_option("upstream-insecure",
                  "Skip verifying the upstream's TLS certificate (for testing only)",
                  &Config::upstream_insecure),
      value_option<std::string>(
          "upstream-ca-file", "FILE", "Extra PEM bundle of CA certificates to trust upstream",
          &Config::upstream_ca_file, "file", "it cannot be opened for reading",
          [](std::string_view text) -> std::optional<std::string> {
            std::string path(text);
            if (path.empty() || !std::ifstream(path).is_open()) return std::nullopt;
            return path;
          },
          [](const std::string& path) { return path.empty() ? std::string("none") : path; }),
      count_option<unsigned>("read-ahead", "Segments fetched ahead of a reading client",
                             &Config::read_ahead, 0, 64),
      flag_option("access-log", "Log one line per client request", &Config::access_log),
      either_option("access-log-format", "text|json", "The access log's lines: plain text or JSON",
                    &Config::access_log_json, "format", "text", "json"),
      address_option("admin-address",
                     "Address of the admin listener: metrics, health, readiness, status page",
                     &Config::admin_host, &Config::admin_port),
      secret_option("admin-token",
                    "Bearer token that admin requests changing state must carry; none: not "
                    "checked",
                    &Config::admin_token),
      value_option<std::size_t>(
          "max-connections", "COUNT",
          "Connections each listener serves at once; auto: a third of the open-file limit, at "
          "most 10000",
          &Config::max_connections, "count", "use auto or a whole number from 1 to 1000000",
          [](std::string_view text) -> std::optional<std::size_t> {
            if (text == "auto") return 0;
            const auto count = parse_count(text);
            if (!count || *count < 1 || *count > 1'000'000) return std::nullopt;
            return static_cast<std::size_t>(*count);
          },
          [](const std::size_t& count) {
            return count == 0 ? std::string("auto") : std::to_string(count);
          }),
      duration_option("client-header-timeout",
                      "Time a client has to send a request header, from its first byte",
                      &Config::client_header_timeout, milliseconds(1)),
      duration_option("keepalive-timeout", "Time a kept-alive connection may idle between requests",
                      &Config::keepalive_timeout, milliseconds(1)),
  };
  return all;
}

const Option* find_option(std::string_view name) {
  const auto& all = options();
  const auto it = std::find_if(all.begin(), all.end(),
                               [&](const Option& option) { return option.name == name; });
  return it == all.end() ? nullptr : &*it;
}

std::string environment_name(std::string_view option_name) {
  std::string name(kEnvironmentPrefix);
  for (const char c : option_name) {
    name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

// The first value of variable `name`, as getenv() would find it.
std::optional<std::string_view> lookup(const std::vector<std::string>& environment,
                                       std::string_view name) {
  for (std::string_view entry : environment) {
    if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=') {
      return entry.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

std::string help_text() {
  const Config defaults;
  std::string text =
      "Usage: casserole [OPTIONS]\n"
      "\n"
      "Casserole mirrors one upstream URL root and caches its large objects in memory, on disk\n"
      "and across a cluster of nodes. Every option can also be set with the environment\n"
      "variable shown beside it; a flag wins over its variable.\n"
      "\n"
      "Options:\n";
  for (const auto& option : options()) {
    const std::string value_name(option.value_name);
    const std::string value =
        option.form == Form::flag ? "[=" + value_name + "]" : "=" + value_name;
    text += "  --" + std::string(option.name) + value + "  (" + environment_name(option.name) +
            ", default " + option.show(defaults) + ")\n      " + std::string(option.description) +
            "\n";
  }
  text +=
      "  --help\n      Print this help and exit\n"
      "  --version\n      Print the version and exit\n"
      "\n"
      "Sizes take an optional K, M, G or T suffix, in powers of 1024 (KB and KiB mean K too).\n"
      "Durations take ms, s, m, h or d (a bare number is seconds). Booleans are true/false,\n"
      "yes/no, on/off or 1/0, and a bare boolean flag means true. Lists take repeated flags or\n"
      "commas.\n";
  return text;
}

ParseResult failure(std::string_view message) {
  return ParseResult{std::nullopt, 2, "", "casserole: " + std::string(message) + "\n"};
}

// Boost.Program_options lets an option with an optional value take the next argument, so that
// "--access-log /x" would read "/x" as the boolean. Booleans are therefore recognised here, as
// "--name" or "--name=value" only; an empty "--name=" is left for the library to refuse.
std::pair<std::string, std::string> parse_flag(const std::string& token) {
  if (!token.starts_with("--")) return {};
  const auto equals = token.find('=');
  const std::string name =
      token.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
  const Option* option = find_option(name);
  if (option == nullptr || option->form != Form::flag) return {};
  if (equals == std::string::npos) return {name, "true"};
  if (equals + 1 == token.size()) return {};
  return {name, token.substr(equals + 1)};
}

std::string describe(const po::error& error) {
  const auto* named = dynamic_cast<const po::error_with_option_name*>(&error);
  if (named == nullptr) return error.what();
  const std::string token = named->get_option_name();
  const std::string name = escape(token.substr(0, token.find('=')));
  if (dynamic_cast<const po::unknown_option*>(&error) != nullptr) {
    return name + ": unknown option (see --help)";
  }
  if (const auto* syntax = dynamic_cast<const po::invalid_command_line_syntax*>(&error)) {
    switch (syntax->kind()) {
      case po::invalid_syntax::missing_parameter:
      case po::invalid_syntax::empty_adjacent_parameter:
        return name + ": missing value";
      case po::invalid_syntax::extra_parameter:
        return name + ": takes no value";
      default:
        break;
    }
  }
  return error.what();
}

using CommandLine = std::map<std::string, std::vector<std::string>, std::less<>>;

// Groups the parsed flags by option name. Returns an error for a positional argument, a value
// that is really the next flag ("--mirror-url --etcd=..."), or a repeated non-list option.
std::optional<std::string> collect(const std::vector<po::option>& parsed, CommandLine& given) {
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    const po::option& option = parsed[i];
    if (option.string_key.empty()) {
      const std::string& argument = option.value.front();
      const Option* previous = i > 0 ? find_option(parsed[i - 1].string_key) : nullptr;
      std::string hint = "casserole takes no positional arguments";
      if (previous != nullptr && previous->form == Form::flag && parse_bool(argument)) {
        hint = "write --" + parsed[i - 1].string_key + "=" + escape(argument);
      }
      return "unexpected argument " + quote(argument) + " (" + hint + ")";
    }
    const Option* known = find_option(option.string_key);
    if (known == nullptr) {  // --help or --version, which carry no value
      given.try_emplace(option.string_key);
      continue;
    }
    const std::string flag = "--" + option.string_key;
    if (option.original_tokens.size() == 2 && option.value.front().starts_with("--")) {
      return flag + ": missing value";
    }
    auto& values = given[option.string_key];
    if (known->form == Form::list) {
      for (auto& item : split_list(option.value.front())) values.push_back(std::move(item));
    } else if (!values.empty()) {
      return flag + ": given more than once";
    } else {
      values.push_back(option.value.front());
    }
  }
  return std::nullopt;
}

}  // namespace

ParseResult parse_config(int argc, const char* const* argv,
                         const std::vector<std::string>& environment) {
  po::options_description description;
  for (const auto& option : options()) {
    description.add_options()(std::string(option.name).c_str(), po::value<std::string>());
  }
  description.add_options()("help", po::bool_switch())("version", po::bool_switch());

  CommandLine given;
  try {
    const auto parsed =
        po::command_line_parser(argc, argv)
            .options(description)
            .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
            .extra_parser(parse_flag)
            .run();
    if (auto error = collect(parsed.options, given)) return failure(*error);
  } catch (const po::error& error) {
    return failure(describe(error));
  }
  if (given.contains("help")) return ParseResult{std::nullopt, 0, help_text(), ""};
  if (given.contains("version")) {
    return ParseResult{std::nullopt, 0, "casserole " CASSEROLE_VERSION "\n", ""};
  }

  Config config;
  for (const auto& option : options()) {
    std::string source;
    std::vector<std::string> values;
    if (const auto flag = given.find(option.name); flag != given.end()) {
      source = "--" + std::string(option.name);
      values = flag->second;
    } else {
      const std::string variable = environment_name(option.name);
      const auto text = lookup(environment, variable);
      if (!text || text->empty()) continue;
      source = "environment variable " + variable;
      values = option.form == Form::list ? split_list(*text)
                                         : std::vector<std::string>{std::string(*text)};
    }
    if (auto error = option.store(values, config)) return failure(source + ": " + *error);
  }

  if (config.cleaned_disk_usage > config.max_disk_usage) {
    return failure("--cleaned-disk-usage (" + format_size(config.cleaned_disk_usage) +
                   ") must not exceed --max-disk-usage (" + format_size(config.max_disk_usage) +
                   ")");
  }
  if (config.max_memory_usage < config.segment_size) {
    return failure("--max-memory-usage (" + format_size(config.max_memory_usage) +
                   ") must be at least --segment-size (" + format_size(config.segment_size) + ")");
  }
  return ParseResult{std::move(config), 0, "", ""};
}

std::vector<std::string> process_environment() {
  std::vector<std::string> environment;
  for (char** entry = ::environ; *entry != nullptr; ++entry) environment.emplace_back(*entry);
  return environment;
}

}  // namespace casserole::app
