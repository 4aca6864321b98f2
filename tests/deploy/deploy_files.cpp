#include "deploy/deploy_files.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "support/casserole_node.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace casserole::test::deploy {
namespace {

// The image name deploy/k8s's manifests give the node image (kustomization.yaml maps it to a
// registry).
constexpr std::string_view kNodeImage = "casserole";

// What Kubernetes' fieldRef would give, for the fields the manifests use.
const std::map<std::string, std::string, std::less<>> kFieldValues = {
    {"metadata.name", "casserole-7d4b9c-x2x5q"},
    {"metadata.namespace", "default"},
    {"status.podIP", std::string(kPodAddress)},
};

// Docker Compose's interpolation, with no variable set: "${NAME:-default}" and "${NAME-default}"
// give the default, "${NAME}" and "$NAME" nothing, "$$" a dollar. The forms that demand a value
// are refused, since a test cannot supply it.
std::string interpolate(std::string_view text) {
  static const std::regex reference(
      R"(\$(\$|\{[A-Za-z_][A-Za-z0-9_]*(:?-([^}]*))?\}|[A-Za-z_][A-Za-z0-9_]*))");
  const auto plain = [&](std::string part) {
    if (part.find('$') != std::string::npos) {
      throw std::runtime_error("deploy/compose.yaml: unsupported interpolation in \"" +
                               std::string(text) + "\"");
    }
    return part;
  };
  std::string result;
  std::string rest(text);
  std::smatch match;
  while (std::regex_search(rest, match, reference)) {
    result += plain(match.prefix());
    if (match[1] == "$") {
      result += '$';
    } else {
      result += match[3].str();  // the default; empty when there is none
    }
    rest = match.suffix();
  }
  return result + plain(rest);
}

// Kubernetes' expansion of "$(NAME)" in env values, command and args: a variable defined
// earlier in the container's env is replaced, any other reference is left as it is, "$$" is a
// dollar.
std::string expand(std::string_view text, const Environment& defined) {
  std::string result;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.substr(i).starts_with("$$")) {
      result += '$';
      ++i;
      continue;
    }
    const auto close = text.find(')', i);
    if (text.substr(i).starts_with("$(") && close != std::string_view::npos) {
      const std::string_view name = text.substr(i + 2, close - i - 2);
      const auto it = std::find_if(defined.rbegin(), defined.rend(),
                                   [&](const auto& variable) { return variable.first == name; });
      if (it != defined.rend()) {
        result += it->second;
        i = close;
        continue;
      }
    }
    result += text[i];
  }
  return result;
}

// The value of key `key` of the Secret named `name` from its stringData, or nothing: a missing
// key (SecretReferencesExist says why), or one in base64 `data`, leaves the variable unset.
std::optional<std::string> secret_value(const std::string& name, const std::string& key) {
  for (const auto& manifest : kubernetes_manifests()) {
    const auto& document = manifest.document;
    if (scalar(document["kind"]) == "Secret" &&
        scalar(at(document, {"metadata", "name"})) == name && at(document, {"stringData", key})) {
      return scalar(at(document, {"stringData", key}));
    }
  }
  return std::nullopt;
}

Environment kubernetes_environment(const YAML::Node& env, const std::string& where) {
  Environment resolved;
  for (const auto& variable : env) {
    const std::string name = scalar(variable["name"]);
    const auto from = variable["valueFrom"];
    if (!from) {
      resolved.emplace_back(name, expand(scalar(variable["value"]), resolved));
    } else if (from["fieldRef"]) {
      const std::string field = scalar(at(from, {"fieldRef", "fieldPath"}));
      const auto value = kFieldValues.find(field);
      if (value == kFieldValues.end()) {
        throw std::runtime_error(where + ": no sample value for fieldRef " + field);
      }
      resolved.emplace_back(name, value->second);
    } else if (from["secretKeyRef"]) {
      const auto value = secret_value(scalar(at(from, {"secretKeyRef", "name"})),
                                      scalar(at(from, {"secretKeyRef", "key"})));
      if (value) resolved.emplace_back(name, *value);
    } else {
      throw std::runtime_error(where + ": unsupported valueFrom in " + name);
    }
  }
  return resolved;
}

// Overlays `top` on `base`, as a container's environment overrides its image's ENV.
Environment overlay(Environment base, const Environment& top) {
  for (const auto& [name, value] : top) {
    std::erase_if(base, [&](const auto& variable) { return variable.first == name; });
    base.emplace_back(name, value);
  }
  return base;
}

void write_script(const std::filesystem::path& file, const std::string& body) {
  std::ofstream(file) << "#!/bin/sh\n" << body;
  std::filesystem::permissions(file, std::filesystem::perms::owner_all);
}

}  // namespace

std::filesystem::path source_path(std::string_view relative) {
  return std::filesystem::path(CASSEROLE_SOURCE_DIR) / relative;
}

YAML::Node at(const YAML::Node& node, std::initializer_list<std::string_view> path) {
  // Looked up through const nodes and moved with reset(): yaml-cpp's non-const operator[] may
  // add keys, and assigning one node to another writes into the tree.
  YAML::Node current = node;
  for (const auto key : path) {
    const YAML::Node& map = current;
    if (!map.IsMap() || !map[std::string(key)]) return YAML::Node(YAML::NodeType::Undefined);
    current.reset(map[std::string(key)]);
  }
  return current;
}

std::string scalar(const YAML::Node& node) {
  return node && node.IsScalar() ? node.as<std::string>() : std::string();
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::pair<int, std::string> run_shell(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::string output;
  std::array<char, 4096> buffer;
  for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) {
    output.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

const KnownOptions& known_options() {
  static const KnownOptions known = [] {
    const auto [exit_code, help] = CasseroleNode::run_to_exit({"--help"});
    if (exit_code != 0) throw std::runtime_error("casserole --help failed:\n" + help);
    // "  --max-memory-usage=SIZE  (CASSEROLE_MAX_MEMORY_USAGE, default 100M)", "  --help"
    static const std::regex option(R"(^  --([a-z0-9-]+)\S*(?:\s+\((CASSEROLE_[A-Z0-9_]+),.*)?$)");
    KnownOptions result;
    std::istringstream lines(help);
    for (std::string line; std::getline(lines, line);) {
      std::smatch match;
      if (!std::regex_match(line, match, option)) continue;
      result.flags.insert(match[1]);
      if (match[2].matched) result.variables.insert(match[2]);
    }
    if (result.variables.empty()) {
      throw std::runtime_error("no options with variables found in casserole --help:\n" + help);
    }
    return result;
  }();
  return known;
}

const Dockerfile& dockerfile() {
  static const Dockerfile file = read_dockerfile(source_path("deploy/Dockerfile"));
  return file;
}

const DockerStage& node_stage() {
  if (dockerfile().stages.empty()) throw std::runtime_error("deploy/Dockerfile has no stage");
  return dockerfile().stages.back();
}

Environment image_environment() {
  Environment environment;
  for (const auto& instruction : node_stage().instructions) {
    if (instruction.keyword != "ENV") continue;
    for (const auto& word : words(instruction.arguments)) {
      const auto equals = word.find('=');
      if (equals == std::string::npos || word.find_first_of("\"'$") != std::string::npos) {
        throw std::runtime_error("deploy/Dockerfile:" + std::to_string(instruction.line) +
                                 ": write ENV as NAME=value pairs without quotes or $");
      }
      environment.emplace_back(word.substr(0, equals), word.substr(equals + 1));
    }
  }
  return environment;
}

bool on_image_path(const std::filesystem::path& directory) {
  static const std::set<std::filesystem::path> path = {
      "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"};
  return path.contains(directory);
}

std::string image_program_source(const std::string& program) {
  for (const auto& copy : copies(node_stage())) {
    const std::filesystem::path destination = copy.destination;
    const bool named = program.starts_with('/') ? destination == program
                                                : destination.filename() == program &&
                                                      on_image_path(destination.parent_path());
    if (named && copy.from.empty() && copy.sources.size() == 1) return copy.sources.front();
  }
  return {};
}

bool wildcard_host(std::string_view host) {
  return host == "0.0.0.0" || host == "::";
}

Start run_entrypoint(const std::vector<std::string>& arguments, const Environment& environment,
                     std::string_view addresses) {
  TempDir dir;
  const auto bin = dir.path() / "bin";
  std::filesystem::create_directory(bin);
  write_script(bin / "hostname", "echo '" + std::string(addresses) + "'\n");
  write_script(bin / "casserole",
               "for argument in \"$@\"; do echo \"argument $argument\"; done\nenv\n");
  // env -i: the container's environment only, not the test's.
  std::vector<std::string> argv = {"env", "-i", "PATH=" + bin.string() + ":/usr/bin:/bin"};
  for (const auto& [name, value] : environment) argv.push_back(name + "=" + value);
  argv.insert(argv.end(), {"sh", source_path("deploy/entrypoint.sh").string()});
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  Process process(argv, dir.path() / "output", {}, dir.path());
  const auto exit_code = process.wait_exit(std::chrono::seconds(10));
  if (exit_code != 0) {
    throw std::runtime_error("deploy/entrypoint.sh failed:\n" + process.log());
  }
  Start start;
  std::istringstream lines(process.log());
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("argument ")) {
      start.arguments.push_back(line.substr(9));
    } else if (const auto equals = line.find('='); equals != std::string::npos) {
      start.environment.emplace_back(line.substr(0, equals), line.substr(equals + 1));
    }
  }
  return start;
}

std::set<std::pair<std::string, std::string>> deploy_script_variables() {
  static const std::regex name("CASSEROLE_[A-Z0-9_]+");
  std::set<std::pair<std::string, std::string>> names;
  for (const auto& entry : std::filesystem::directory_iterator(source_path("deploy"))) {
    if (entry.path().extension() != ".sh") continue;
    const std::string file = "deploy/" + entry.path().filename().string();
    const std::string text = read_text(entry.path());
    for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it) {
      names.emplace(file, it->str());
    }
  }
  return names;
}

const YAML::Node& compose() {
  static const YAML::Node file = YAML::LoadFile(source_path("deploy/compose.yaml").string());
  return file;
}

std::vector<std::string> compose_node_services() {
  std::vector<std::string> names;
  for (const auto& service : compose()["services"]) {
    if (scalar(at(service.second, {"build", "target"})) == node_stage().name) {
      names.push_back(service.first.as<std::string>());
    }
  }
  return names;
}

NodeSetup compose_setup(const std::string& service_name) {
  const auto service = at(compose(), {"services", service_name});
  NodeSetup setup{"deploy/compose.yaml, service " + service_name, {}, {}, true};
  const auto command = service["command"];
  if (command && command.IsScalar()) {
    setup.arguments = words(interpolate(command.as<std::string>()));
  } else {
    for (const auto& argument : command) setup.arguments.push_back(interpolate(scalar(argument)));
  }
  const auto environment = service["environment"];
  if (environment.IsMap()) {
    for (const auto& variable : environment) {
      setup.environment.emplace_back(variable.first.as<std::string>(),
                                     interpolate(scalar(variable.second)));
    }
  } else {
    for (const auto& variable : environment) {
      const std::string text = interpolate(scalar(variable));
      const auto equals = text.find('=');
      setup.environment.emplace_back(text.substr(0, equals),
                                     equals == std::string::npos ? "" : text.substr(equals + 1));
    }
  }
  return setup;
}

std::vector<std::string> compose_healthcheck(const std::string& service) {
  const auto test = at(compose(), {"services", service, "healthcheck", "test"});
  std::vector<std::string> command;
  if (!test.IsSequence() || test.size() < 2 || scalar(test[0]) != "CMD") return command;
  for (std::size_t i = 1; i < test.size(); ++i) command.push_back(interpolate(scalar(test[i])));
  return command;
}

std::vector<Manifest> kubernetes_manifests() {
  std::vector<Manifest> manifests;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(source_path("deploy/k8s"))) {
    const auto name = entry.path().filename().string();
    if (entry.path().extension() == ".yaml" && name != "kustomization.yaml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    for (auto& document : YAML::LoadAllFromFile(file.string())) {
      if (document.IsMap()) {
        manifests.push_back({"deploy/k8s/" + file.filename().string(), std::move(document)});
      }
    }
  }
  return manifests;
}

std::vector<PodContainer> kubernetes_node_containers() {
  std::vector<PodContainer> found;
  for (const auto& [file, document] : kubernetes_manifests()) {
    const auto pod_metadata = at(document, {"spec", "template", "metadata"});
    const auto pod_spec = at(document, {"spec", "template", "spec"});
    if (!pod_spec) continue;
    for (const auto& container : pod_spec["containers"]) {
      const std::string image = scalar(container["image"]);
      if (image.substr(0, image.find(':')) != kNodeImage) continue;
      found.push_back({file + ", " + scalar(document["kind"]) + " " +
                           scalar(at(document, {"metadata", "name"})) + ", container " +
                           scalar(container["name"]),
                       pod_metadata, pod_spec, container});
    }
  }
  return found;
}

NodeSetup kubernetes_setup(const PodContainer& pod_container) {
  NodeSetup setup{pod_container.where, {}, {}, true};
  setup.environment = kubernetes_environment(pod_container.container["env"], pod_container.where);
  for (const auto& argument : pod_container.container["args"]) {
    setup.arguments.push_back(expand(scalar(argument), setup.environment));
  }
  return setup;
}

std::vector<NodeSetup> cluster_script_setups() {
  // The script prints the binary's path with its symbolic links resolved.
  const std::string binary = std::filesystem::weakly_canonical(CASSEROLE_BINARY).string();
  TempDir dir;
  const auto [exit_code, output] = run_shell("bash '" + source_path("scripts/cluster.sh").string() +
                                             "' --dry-run --nodes=2 --dir='" + dir.path().string() +
                                             "' --binary='" + CASSEROLE_BINARY + "'");
  if (exit_code != 0) throw std::runtime_error("scripts/cluster.sh --dry-run failed:\n" + output);
  std::vector<NodeSetup> setups;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.find_first_of("\\'\"") != std::string::npos) {
      throw std::runtime_error("unexpected quoting in scripts/cluster.sh --dry-run: " + line);
    }
    auto command = words(line);
    if (command.empty() || command.front() != binary) continue;
    command.erase(command.begin());
    setups.push_back({"scripts/cluster.sh --dry-run, node " + std::to_string(setups.size() + 1),
                      std::move(command),
                      {},
                      false});
  }
  if (setups.size() != 2) {
    throw std::runtime_error("scripts/cluster.sh --dry-run --nodes=2 printed " +
                             std::to_string(setups.size()) + " casserole commands:\n" + output);
  }
  return setups;
}

std::vector<NodeSetup> all_setups() {
  std::vector<NodeSetup> setups = {
      {"deploy/Dockerfile, stage " + node_stage().name, {}, image_environment(), true}};
  for (const auto& service : compose_node_services()) setups.push_back(compose_setup(service));
  for (const auto& container : kubernetes_node_containers()) {
    setups.push_back(kubernetes_setup(container));
  }
  for (auto& setup : cluster_script_setups()) setups.push_back(std::move(setup));
  return setups;
}

app::ParseResult effective_config(const NodeSetup& setup) {
  Start start{setup.arguments, setup.environment};
  if (setup.in_image) {
    start = run_entrypoint(setup.arguments, overlay(image_environment(), setup.environment),
                           kContainerAddress);
  }
  std::vector<const char*> argv = {"casserole"};
  for (const auto& argument : start.arguments) argv.push_back(argument.c_str());
  std::vector<std::string> environment;
  for (const auto& [name, value] : start.environment) environment.push_back(name + "=" + value);
  return app::parse_config(static_cast<int>(argv.size()), argv.data(), environment);
}

app::Config node_config(const NodeSetup& setup) {
  auto parsed = effective_config(setup);
  if (!parsed.config) throw std::runtime_error(setup.where + ": " + parsed.err);
  return *parsed.config;
}

double kubernetes_quantity(const std::string& text) {
  static const std::regex quantity(R"(([0-9]+(?:\.[0-9]+)?)([KMGTPE]i|[mkMGTPE])?)");
  static const std::map<std::string, double, std::less<>> scales = {
      {"", 1},        {"m", 1e-3},    {"k", 1e3},     {"M", 1e6},     {"G", 1e9},
      {"T", 1e12},    {"P", 1e15},    {"E", 1e18},    {"Ki", 0x1p10}, {"Mi", 0x1p20},
      {"Gi", 0x1p30}, {"Ti", 0x1p40}, {"Pi", 0x1p50}, {"Ei", 0x1p60}};
  std::smatch match;
  if (!std::regex_match(text, match, quantity)) {
    throw std::runtime_error("not a Kubernetes quantity: " + text);
  }
  return std::stod(match[1]) * scales.find(match[2].str())->second;
}

}  // namespace casserole::test::deploy
