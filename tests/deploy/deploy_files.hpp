// The deploy files (deploy/ and scripts/cluster.sh) as the tests see them: every casserole
// process they start and its settings, resolved as Docker Compose, Kubernetes and the image's
// entry point would resolve them; and the options the built binary says it accepts.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/config.hpp"
#include "deploy/dockerfile.hpp"

namespace casserole::test::deploy {

using Environment = std::vector<std::pair<std::string, std::string>>;

// What the tests take for the addresses Docker and Kubernetes assign at run time: a container's
// `hostname -i` on a compose network, and a pod's IP.
inline constexpr std::string_view kContainerAddress = "172.18.0.5";
inline constexpr std::string_view kPodAddress = "10.244.1.7";

// A file of the checkout, from its path relative to the checkout's root (which messages show).
std::filesystem::path source_path(std::string_view relative);
std::string read_text(const std::filesystem::path& file);

// The node at `path` under `node`, or an undefined node when a key is missing on the way (where
// yaml-cpp would throw). Also: a node's scalar text, or "" for anything else.
YAML::Node at(const YAML::Node& node, std::initializer_list<std::string_view> path);
std::string scalar(const YAML::Node& node);

// Runs `command` with sh: its exit code and its output, stdout and stderr together.
std::pair<int, std::string> run_shell(const std::string& command);

// What `casserole --help` lists: flag names (without "--") and CASSEROLE_* variables.
struct KnownOptions {
  std::set<std::string> flags;
  std::set<std::string> variables;
};
const KnownOptions& known_options();

// One casserole process as a deploy file sets it up.
struct NodeSetup {
  std::string where;                   // e.g. "deploy/compose.yaml, service cache"
  std::vector<std::string> arguments;  // after the program name
  Environment environment;             // what the file sets, resolved
  bool in_image = false;  // started by deploy/Dockerfile's entry point, under the image's ENV
};

// deploy/Dockerfile. Its last stage is the node's image: what `docker build` builds by default.
const Dockerfile& dockerfile();
const DockerStage& node_stage();
Environment image_environment();  // the node stage's ENV

// True for a directory of Debian images' PATH, where the image's programs are found by name.
bool on_image_path(const std::filesystem::path& directory);

// The file of the checkout that the node stage copies to `program` (an absolute path, or a name
// on the image's PATH), relative to the checkout's root; empty when the stage copies none there.
std::string image_program_source(const std::string& program);

// True for a listening host that takes connections on every interface.
bool wildcard_host(std::string_view host);

// deploy/entrypoint.sh run as in a container whose environment is `environment` and whose
// `hostname -i` prints `addresses`: the arguments and environment it starts casserole with.
struct Start {
  std::vector<std::string> arguments;
  Environment environment;
};
Start run_entrypoint(const std::vector<std::string>& arguments, const Environment& environment,
                     std::string_view addresses);

// The CASSEROLE_* names the scripts of deploy/ mention: {script, name}, e.g.
// {"deploy/entrypoint.sh", "CASSEROLE_PEERING_ADDRESS"}.
std::set<std::pair<std::string, std::string>> deploy_script_variables();

// deploy/compose.yaml, and the services in it built from the node stage.
const YAML::Node& compose();
std::vector<std::string> compose_node_services();
NodeSetup compose_setup(const std::string& service);
// What a service's healthcheck runs: its test ["CMD", PROGRAM, ARGUMENTS...] without "CMD";
// empty for another form or none.
std::vector<std::string> compose_healthcheck(const std::string& service);

// Every document of deploy/k8s's manifests (kustomization.yaml excluded).
struct Manifest {
  std::string file;  // e.g. "deploy/k8s/etcd.yaml"
  YAML::Node document;
};
std::vector<Manifest> kubernetes_manifests();

// A container of a workload's pod template that runs the node image.
struct PodContainer {
  std::string where;  // e.g. "deploy/k8s/casserole.yaml, Deployment casserole, container casserole"
  YAML::Node pod_metadata;
  YAML::Node pod_spec;
  YAML::Node container;
};
std::vector<PodContainer> kubernetes_node_containers();
NodeSetup kubernetes_setup(const PodContainer& pod_container);

// The nodes `scripts/cluster.sh --dry-run` would start.
std::vector<NodeSetup> cluster_script_setups();

// Every node setup above, and the image run with no settings at all.
std::vector<NodeSetup> all_setups();

// What casserole makes of a setup: the configuration it would run with, or its error message.
// node_config() throws std::runtime_error, naming the setup, instead of returning an error.
app::ParseResult effective_config(const NodeSetup& setup);
app::Config node_config(const NodeSetup& setup);

// A Kubernetes quantity ("512Mi", "11Gi", "1G", "100m") in its base unit (bytes, cores).
double kubernetes_quantity(const std::string& text);

}  // namespace casserole::test::deploy
