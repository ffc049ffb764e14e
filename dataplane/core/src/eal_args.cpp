#include "mcsec/dataplane/eal_args.hpp"

namespace mcsec::dataplane {

std::string ethdev_name(const std::string& device) {
    return device.substr(0, device.find(','));
}

std::vector<std::string> eal_arguments(const config::ApplianceConfig& config) {
    const auto& dp = config.dataplane;
    std::vector<std::string> args = {"mcsec-dataplane"};
    std::string lcores;
    for (unsigned cpu : dp.lcores) lcores += (lcores.empty() ? "" : ",") + std::to_string(cpu);
    args.insert(args.end(), {"-l", lcores});

    // Only the configured PCI devices are probed (an allow-list), so the appliance never
    // takes over a NIC it was not given; with none, PCI probing is off altogether.
    bool any_pci = false;
    for (const auto& port : config.ports) {
        if (port.device_kind == config::DeviceKind::Pci) {
            args.insert(args.end(), {"-a", port.device});
            any_pci = true;
        } else {
            args.insert(args.end(), {"--vdev", port.device});
        }
    }
    if (!any_pci) args.push_back("--no-pci");

    if (dp.hugepages) {
        // --in-memory: no hugetlbfs mount and no files, so instances never collide.
        args.insert(args.end(), {"--in-memory", "-m", std::to_string(dp.memory_mb)});
    } else {
        args.insert(args.end(), {"--no-huge", "-m", std::to_string(dp.memory_mb), "--file-prefix",
                                 "mcsec-" + config.instance.name});
    }
    args.insert(args.end(), {"--log-level", "lib.eal:warning"});
    args.insert(args.end(), dp.eal_args.begin(), dp.eal_args.end());
    return args;
}

}  // namespace mcsec::dataplane
