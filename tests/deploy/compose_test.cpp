// deploy/compose.yaml: images built from deploy/Dockerfile, a cache service that scales, a disk
// cache on a volume of its own, peers that reach each other, etcd where the nodes look, an admin
// listener published on loopback, and a healthcheck that asks it for readiness.
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <regex>

#include "deploy/deploy_files.hpp"

namespace casserole::test::deploy {
namespace {

// True for a published port that names one host port: "9000:8080", "127.0.0.1:9000:8080" or
// the long syntax's `published: 9000`. No host port (Docker picks one) or a range scales.
bool publishes_fixed_port(const YAML::Node& port) {
  std::string host;
  if (port.IsScalar()) {
    const std::string text = port.as<std::string>();
    const auto last = text.rfind(':');
    if (last == std::string::npos) return false;
    const auto before = text.rfind(':', last - 1);
    host = text.substr(before == std::string::npos ? 0 : before + 1,
                       last - (before == std::string::npos ? 0 : before + 1));
  } else {
    host = port["published"].as<std::string>("");
  }
  return !host.empty() && host.find('-') == std::string::npos;
}

// The container port of a published port: "8080", "127.0.0.1::8080", "9000:8080/tcp" or the
// long syntax's target.
std::string published_target(const YAML::Node& port) {
  if (!port.IsScalar()) return port["target"].as<std::string>("");
  const std::string text = port.as<std::string>();
  const std::string target = text.substr(text.rfind(':') + 1);
  return target.substr(0, target.find('/'));
}

// Where a volume is mounted in the container: "TARGET", "SOURCE:TARGET[:MODE]", or the long
// syntax's target.
std::filesystem::path volume_target(const YAML::Node& volume) {
  if (!volume.IsScalar()) return volume["target"].as<std::string>("");
  const std::string text = volume.as<std::string>();
  const auto first = text.find(':');
  if (first == std::string::npos) return text;
  return text.substr(first + 1, text.find(':', first + 1) - first - 1);
}

TEST(Compose, ServicesAreBuiltFromDockerfileStages) {
  for (const auto& service : compose()["services"]) {
    const std::string name = service.first.as<std::string>();
    const auto build = service.second["build"];
    ASSERT_TRUE(build) << "deploy/compose.yaml, service " << name
                       << ": no build; every image comes from deploy/Dockerfile";
    const auto dockerfile_path = source_path("deploy") / build["context"].as<std::string>(".") /
                                 build["dockerfile"].as<std::string>("Dockerfile");
    EXPECT_EQ(dockerfile_path.lexically_normal(), source_path("deploy/Dockerfile"))
        << "deploy/compose.yaml, service " << name << ": builds from " << dockerfile_path;
    const std::string target = build["target"].as<std::string>("");
    EXPECT_NE(dockerfile().stage(target), nullptr)
        << "deploy/compose.yaml, service " << name << ": target \"" << target
        << "\" is no stage of deploy/Dockerfile";
  }
}

TEST(Compose, NodeServicesScale) {
  for (const auto& name : compose_node_services()) {
    const auto service = at(compose(), {"services", name});
    EXPECT_FALSE(service["container_name"])
        << "deploy/compose.yaml, service " << name << ": container_name allows one replica only";
    for (const auto& port : service["ports"]) {
      EXPECT_FALSE(publishes_fixed_port(port))
          << "deploy/compose.yaml, service " << name << ": port " << YAML::Dump(port)
          << " is one fixed host port, which a second replica cannot take";
    }
  }
}

TEST(Compose, DiskCacheIsAVolume) {
  for (const auto& name : compose_node_services()) {
    const auto directory = node_config(compose_setup(name)).disk_cache_dir;
    bool mounted = false;
    for (const auto& volume : at(compose(), {"services", name, "volumes"})) {
      mounted |= volume_target(volume) == directory;
    }
    EXPECT_TRUE(mounted) << "deploy/compose.yaml, service " << name << ": the disk cache "
                         << directory << " is no volume, so it is lost with the container";
  }
}

TEST(Compose, PeeringAddressIsTheContainerAddress) {
  // Replicas share one definition: a fixed peering address would be every replica's.
  for (const auto& name : compose_node_services()) {
    const std::string address = node_config(compose_setup(name)).peering_address;
    EXPECT_TRUE(address.starts_with("http://" + std::string(kContainerAddress) + ":"))
        << "deploy/compose.yaml, service " << name << ": the peering address " << address
        << " is not the container's own";
  }
}

TEST(Compose, EtcdIsAService) {
  for (const auto& name : compose_node_services()) {
    const auto config = node_config(compose_setup(name));
    EXPECT_FALSE(config.etcd.empty()) << "deploy/compose.yaml, service " << name << ": no etcd";
    for (const auto& url : config.etcd) {
      std::smatch host;
      ASSERT_TRUE(std::regex_search(url, host, std::regex(R"(^https?://([^:/]+))"))) << url;
      EXPECT_TRUE(at(compose(), {"services", host[1].str()}))
          << "deploy/compose.yaml, service " << name << ": etcd " << url
          << " is no service of the file";
    }
  }
}

TEST(Compose, AdminListenerIsPublished) {
  // A replica's status page and /metrics, for `docker compose port`.
  for (const auto& name : compose_node_services()) {
    const auto config = node_config(compose_setup(name));
    EXPECT_TRUE(wildcard_host(config.admin_host))
        << "deploy/compose.yaml, service " << name << ": the admin listener is on "
        << config.admin_host << ", which nothing outside the container reaches";
    bool published = false;
    for (const auto& port : at(compose(), {"services", name, "ports"})) {
      published |= published_target(port) == std::to_string(config.admin_port);
    }
    EXPECT_TRUE(published) << "deploy/compose.yaml, service " << name << ": the admin port "
                           << config.admin_port << " is not published";
  }
}

TEST(Compose, HealthcheckIsTheImagesReadinessCheck) {
  for (const auto& name : compose_node_services()) {
    const std::string where = "deploy/compose.yaml, service " + name;
    const auto command = compose_healthcheck(name);
    ASSERT_FALSE(command.empty()) << where << ": no healthcheck test [\"CMD\", PROGRAM]";
    const std::string script = image_program_source(command.front());
    ASSERT_FALSE(script.empty()) << where << ": the healthcheck runs " << command.front()
                                 << ", which deploy/Dockerfile does not copy from the checkout";
    // Docker runs it as a program, and COPY keeps the checkout's mode.
    EXPECT_EQ(::access(source_path(script).c_str(), X_OK), 0) << script << " is not executable";
    // The script asks where CASSEROLE_ADMIN_ADDRESS says; a flag would move the listener away.
    const auto setup = compose_setup(name);
    for (const auto& argument : setup.arguments) {
      EXPECT_FALSE(argument.starts_with("--admin-address"))
          << where << ": " << argument << " is not what the healthcheck asks; set "
          << "CASSEROLE_ADMIN_ADDRESS instead";
    }
  }
}

}  // namespace
}  // namespace casserole::test::deploy
