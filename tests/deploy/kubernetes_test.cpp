// deploy/k8s: a kustomization that holds every manifest and maps every image, references that
// resolve (variables, Secrets, Services, named ports), labels and annotations that stay strings,
// and node pods whose limits fit the node's own bounds, whose disk cache is a volume, whose
// peering address is their own, whose probes ask the admin listener for health and readiness,
// and which Prometheus scrapes there.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "deploy/deploy_files.hpp"

namespace casserole::test::deploy {
namespace {

std::string name_of(const Manifest& manifest) {
  return manifest.file + ", " + scalar(manifest.document["kind"]) + " " +
         scalar(at(manifest.document, {"metadata", "name"}));
}

// The pod template of a workload (Deployment, StatefulSet, ...), or nothing.
YAML::Node pod_template(const Manifest& manifest) {
  return at(manifest.document, {"spec", "template"});
}

// True if `workload` has a pod template with every label of the Service's selector.
bool selects(const Manifest& service, const Manifest& workload) {
  const auto labels = at(pod_template(workload), {"metadata", "labels"});
  if (!labels) return false;
  for (const auto& label : at(service.document, {"spec", "selector"})) {
    if (scalar(labels[label.first.as<std::string>()]) != scalar(label.second)) return false;
  }
  return true;
}

// The port names the containers of a pod template declare.
std::set<std::string> port_names(const YAML::Node& pod) {
  std::set<std::string> names;
  for (const auto& container : at(pod, {"spec", "containers"})) {
    for (const auto& port : container["ports"]) names.insert(scalar(port["name"]));
  }
  return names;
}

// The containerPort that `port` names in a container: a number as it is, or a named port.
std::string container_port(const YAML::Node& container, const std::string& port) {
  if (!port.empty() && std::isdigit(static_cast<unsigned char>(port.front()))) return port;
  for (const auto& declared : container["ports"]) {
    if (scalar(declared["name"]) == port) return scalar(declared["containerPort"]);
  }
  return "";
}

TEST(Kubernetes, KustomizationListsEveryManifest) {
  const auto kustomization = YAML::LoadFile(source_path("deploy/k8s/kustomization.yaml").string());
  std::set<std::string> listed;
  for (const auto& resource : kustomization["resources"]) listed.insert(scalar(resource));
  std::set<std::string> files;
  for (const auto& manifest : kubernetes_manifests()) {
    files.insert(std::filesystem::path(manifest.file).filename().string());
  }
  for (const auto& file : files) {
    EXPECT_TRUE(listed.contains(file))
        << "deploy/k8s/kustomization.yaml: resources do not list " << file;
  }
  for (const auto& resource : listed) {
    EXPECT_TRUE(files.contains(resource))
        << "deploy/k8s/kustomization.yaml: resource " << resource << " is no manifest there";
  }
}

TEST(Kubernetes, KustomizationMapsEveryImage) {
  const auto kustomization = YAML::LoadFile(source_path("deploy/k8s/kustomization.yaml").string());
  std::set<std::string> mapped;
  for (const auto& image : kustomization["images"]) mapped.insert(scalar(image["name"]));
  std::set<std::string> used;
  for (const auto& manifest : kubernetes_manifests()) {
    for (const auto& container : at(pod_template(manifest), {"spec", "containers"})) {
      const std::string image = scalar(container["image"]);
      const std::string name = image.substr(0, image.find(':'));
      used.insert(name);
      EXPECT_TRUE(mapped.contains(name)) << name_of(manifest) << ": image " << image
                                         << " is not mapped to a registry in kustomization.yaml";
    }
  }
  for (const auto& image : mapped) {
    EXPECT_TRUE(used.contains(image))
        << "deploy/k8s/kustomization.yaml: image " << image << " is used by no manifest";
  }
}

TEST(Kubernetes, VariableReferencesAreDefinedFirst) {
  // Kubernetes replaces $(NAME) only with a variable defined earlier in the container's env,
  // and leaves any other reference as it is.
  static const std::regex reference(R"((^|[^$])\$\(([A-Za-z_][A-Za-z0-9_]*)\))");
  for (const auto& manifest : kubernetes_manifests()) {
    for (const auto& container : at(pod_template(manifest), {"spec", "containers"})) {
      std::set<std::string> defined;
      const auto check = [&](const std::string& value) {
        for (std::sregex_iterator it(value.begin(), value.end(), reference), end; it != end; ++it) {
          EXPECT_TRUE(defined.contains((*it)[2]))
              << name_of(manifest) << ", container " << scalar(container["name"]) << ": $("
              << (*it)[2] << ") in \"" << value << "\" is not defined before it";
        }
      };
      for (const auto& variable : container["env"]) {
        check(scalar(variable["value"]));
        defined.insert(scalar(variable["name"]));
      }
      for (const auto& argument : container["command"]) check(scalar(argument));
      for (const auto& argument : container["args"]) check(scalar(argument));
    }
  }
}

TEST(Kubernetes, SecretReferencesExist) {
  std::set<std::pair<std::string, std::string>> keys;
  for (const auto& manifest : kubernetes_manifests()) {
    if (scalar(manifest.document["kind"]) != "Secret") continue;
    for (const char* field : {"data", "stringData"}) {
      for (const auto& entry : manifest.document[field]) {
        keys.emplace(scalar(at(manifest.document, {"metadata", "name"})),
                     entry.first.as<std::string>());
      }
    }
  }
  for (const auto& manifest : kubernetes_manifests()) {
    for (const auto& container : at(pod_template(manifest), {"spec", "containers"})) {
      for (const auto& variable : container["env"]) {
        const auto secret = at(variable, {"valueFrom", "secretKeyRef"});
        if (!secret) continue;
        EXPECT_TRUE(keys.contains({scalar(secret["name"]), scalar(secret["key"])}))
            << name_of(manifest) << ": " << scalar(variable["name"]) << " reads key "
            << scalar(secret["key"]) << " of Secret " << scalar(secret["name"])
            << ", which no manifest defines";
      }
    }
  }
}

TEST(Kubernetes, ServicesSelectPods) {
  for (const auto& service : kubernetes_manifests()) {
    if (scalar(service.document["kind"]) != "Service") continue;
    const auto manifests = kubernetes_manifests();
    EXPECT_TRUE(std::any_of(manifests.begin(), manifests.end(),
                            [&](const Manifest& workload) { return selects(service, workload); }))
        << name_of(service) << ": its selector matches no pod template";
  }
}

TEST(Kubernetes, StatefulSetsHaveTheirHeadlessService) {
  std::set<std::string> headless;
  for (const auto& manifest : kubernetes_manifests()) {
    if (scalar(manifest.document["kind"]) == "Service" &&
        scalar(at(manifest.document, {"spec", "clusterIP"})) == "None") {
      headless.insert(scalar(at(manifest.document, {"metadata", "name"})));
    }
  }
  for (const auto& manifest : kubernetes_manifests()) {
    if (scalar(manifest.document["kind"]) != "StatefulSet") continue;
    const std::string service = scalar(at(manifest.document, {"spec", "serviceName"}));
    EXPECT_TRUE(headless.contains(service))
        << name_of(manifest) << ": serviceName " << service << " is no headless Service";
  }
}

TEST(Kubernetes, NamedPortsExist) {
  const auto manifests = kubernetes_manifests();
  const auto check = [](const std::string& where, const YAML::Node& port,
                        const std::set<std::string>& declared) {
    const std::string name = scalar(port);
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return;
    EXPECT_TRUE(declared.contains(name))
        << where << ": port " << name << " is not a named port of the pod";
  };
  for (const auto& manifest : manifests) {
    for (const auto& container : at(pod_template(manifest), {"spec", "containers"})) {
      for (const char* probe : {"readinessProbe", "livenessProbe", "startupProbe"}) {
        for (const char* kind : {"tcpSocket", "httpGet"}) {
          check(name_of(manifest) + ", " + probe, at(container, {probe, kind, "port"}),
                port_names(pod_template(manifest)));
        }
      }
    }
    if (scalar(manifest.document["kind"]) != "Service") continue;
    std::set<std::string> selected;
    for (const auto& workload : manifests) {
      if (selects(manifest, workload)) selected.merge(port_names(pod_template(workload)));
    }
    for (const auto& port : at(manifest.document, {"spec", "ports"})) {
      check(name_of(manifest), port["targetPort"], selected);
    }
  }
}

TEST(Kubernetes, DiskCacheIsAnEmptyDirAboveMaxDiskUsage) {
  for (const auto& container : kubernetes_node_containers()) {
    const auto config = node_config(kubernetes_setup(container));
    std::string volume;
    for (const auto& mount : container.container["volumeMounts"]) {
      if (std::filesystem::path(scalar(mount["mountPath"])) == config.disk_cache_dir) {
        volume = scalar(mount["name"]);
      }
    }
    ASSERT_FALSE(volume.empty()) << container.where << ": the disk cache " << config.disk_cache_dir
                                 << " is no volume";
    for (const auto& candidate : container.pod_spec["volumes"]) {
      if (scalar(candidate["name"]) != volume) continue;
      const std::string limit = scalar(at(candidate, {"emptyDir", "sizeLimit"}));
      ASSERT_FALSE(limit.empty()) << container.where << ": volume " << volume
                                  << " is no emptyDir with a sizeLimit";
      // Files in tmp/ and the time removal takes may take usage above --max-disk-usage.
      EXPECT_GT(kubernetes_quantity(limit), static_cast<double>(config.max_disk_usage) * 1.05)
          << container.where << ": sizeLimit " << limit << " leaves no room above "
          << "--max-disk-usage, and the kubelet evicts a pod whose emptyDir passes it";
    }
  }
}

TEST(Kubernetes, MemoryLimitIsAboveMaxMemoryUsage) {
  for (const auto& container : kubernetes_node_containers()) {
    const auto config = node_config(kubernetes_setup(container));
    const std::string limit = scalar(at(container.container, {"resources", "limits", "memory"}));
    ASSERT_FALSE(limit.empty()) << container.where << ": no memory limit";
    // Connections, indexes and the allocator's slack come on top of cached segments.
    EXPECT_GT(kubernetes_quantity(limit), static_cast<double>(config.max_memory_usage) * 1.25)
        << container.where << ": memory limit " << limit
        << " leaves too little above --max-memory-usage";
  }
}

TEST(Kubernetes, PeeringAddressIsThePodAddress) {
  for (const auto& container : kubernetes_node_containers()) {
    const std::string address = node_config(kubernetes_setup(container)).peering_address;
    EXPECT_TRUE(address.starts_with("http://" + std::string(kPodAddress) + ":"))
        << container.where << ": the peering address " << address << " is not the pod's IP";
    const std::string port = address.substr(address.rfind(':') + 1);
    bool declared = false;
    for (const auto& declared_port : container.container["ports"]) {
      declared |= scalar(declared_port["containerPort"]) == port;
    }
    EXPECT_TRUE(declared) << container.where << ": the peering port " << port
                          << " is not among the container's ports";
  }
}

TEST(Kubernetes, LabelsAndAnnotationsAreStrings) {
  // Kubernetes reads its YAML as YAML 1.1, where an unquoted true, yes, on or 9190 is no string,
  // and refuses such a label or annotation.
  static const std::regex not_a_string(
      R"((y|yes|n|no|true|false|on|off|null|~|[-+]?[0-9][0-9_.]*))", std::regex::icase);
  for (const auto& manifest : kubernetes_manifests()) {
    for (const auto& metadata :
         {manifest.document["metadata"], at(pod_template(manifest), {"metadata"})}) {
      for (const char* field : {"labels", "annotations"}) {
        for (const auto& entry : at(metadata, {field})) {
          const std::string value = scalar(entry.second);
          EXPECT_FALSE(entry.second.Tag() == "?" && std::regex_match(value, not_a_string))
              << name_of(manifest) << ": " << field << " " << entry.first.as<std::string>() << ": "
              << value << " needs quotes to be a string";
        }
      }
    }
  }
}

TEST(Kubernetes, NodeProbesAskTheAdminListener) {
  struct Probe {
    const char* name;
    std::set<std::string> paths;
    bool required;
  };
  const Probe probes[] = {{"livenessProbe", {"/healthz"}, true},
                          {"readinessProbe", {"/readyz"}, true},
                          {"startupProbe", {"/healthz", "/readyz"}, false}};
  for (const auto& container : kubernetes_node_containers()) {
    const auto config = node_config(kubernetes_setup(container));
    EXPECT_TRUE(wildcard_host(config.admin_host) || config.admin_host == kPodAddress)
        << container.where << ": the admin listener is on " << config.admin_host
        << ", where the kubelet cannot reach it";
    for (const auto& probe : probes) {
      const std::string where = container.where + ", " + probe.name;
      const auto node = at(container.container, {probe.name});
      if (!node) {
        EXPECT_FALSE(probe.required) << container.where << ": no " << probe.name;
        continue;
      }
      const auto get = at(node, {"httpGet"});
      ASSERT_TRUE(get) << where << ": not an httpGet of the admin listener";
      EXPECT_TRUE(probe.paths.contains(scalar(get["path"])))
          << where << ": asks " << scalar(get["path"]);
      EXPECT_EQ(container_port(container.container, scalar(get["port"])),
                std::to_string(config.admin_port))
          << where << ": port " << scalar(get["port"]) << " is not the admin listener's";
      EXPECT_TRUE(scalar(get["scheme"]).empty() || scalar(get["scheme"]) == "HTTP")
          << where << ": the admin listener speaks plain HTTP";
    }
  }
}

TEST(Kubernetes, PrometheusScrapesTheAdminListener) {
  for (const auto& container : kubernetes_node_containers()) {
    const auto config = node_config(kubernetes_setup(container));
    const auto annotations = at(container.pod_metadata, {"annotations"});
    const auto annotation = [&](const char* name) { return scalar(at(annotations, {name})); };
    EXPECT_EQ(annotation("prometheus.io/scrape"), "true") << container.where;
    EXPECT_EQ(annotation("prometheus.io/port"), std::to_string(config.admin_port))
        << container.where << ": not the admin listener's port";
    EXPECT_EQ(annotation("prometheus.io/path"), "/metrics") << container.where;
    bool declared = false;
    for (const auto& port : container.container["ports"]) {
      declared |= scalar(port["containerPort"]) == std::to_string(config.admin_port);
    }
    EXPECT_TRUE(declared) << container.where << ": the admin port " << config.admin_port
                          << " is not among the container's ports";
  }
}

TEST(Kubernetes, EtcdIsAService) {
  std::set<std::string> services;
  for (const auto& manifest : kubernetes_manifests()) {
    if (scalar(manifest.document["kind"]) == "Service") {
      services.insert(scalar(at(manifest.document, {"metadata", "name"})));
    }
  }
  for (const auto& container : kubernetes_node_containers()) {
    const auto config = node_config(kubernetes_setup(container));
    EXPECT_FALSE(config.etcd.empty()) << container.where << ": no etcd";
    for (const auto& url : config.etcd) {
      std::smatch host;
      ASSERT_TRUE(std::regex_search(url, host, std::regex(R"(^https?://([^:/.]+))"))) << url;
      EXPECT_TRUE(services.contains(host[1].str()))
          << container.where << ": etcd " << url << " names no Service of deploy/k8s";
    }
  }
}

}  // namespace
}  // namespace casserole::test::deploy
