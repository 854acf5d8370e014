namespace FastBridge.Tests.Guests;

/// <summary>How to start one <see cref="QemuGuest"/>: its network devices are raw QEMU arguments (see
/// <see cref="QemuArgs"/> for the usual ones), its addresses go on the kernel command line.</summary>
internal sealed record GuestOptions
{
    /// <summary>Shown in logs and failure messages.</summary>
    public required string Name { get; init; }

    /// <summary>Run QEMU inside this network namespace (taps it creates or opens live there), or in the test's own.</summary>
    public string? NetworkNamespace { get; init; }

    public int MemoryMiB { get; init; } = 256;

    /// <summary>Guest RAM as a shared memfd (<c>-object memory-backend-memfd,share=on -numa node,memdev=mem</c>), so a
    /// vhost-user backend can map it.</summary>
    public bool SharedMemory { get; init; }

    /// <summary>QEMU arguments for the NICs, one array element per argv word, e.g. <see cref="QemuArgs.Tap"/> followed by
    /// <see cref="QemuArgs.VirtioNet"/>. The first NIC is the guest's eth0, the second eth1.</summary>
    public IReadOnlyList<string> Devices { get; init; } = [];

    /// <summary>IPv4 address with prefix of eth0 (<c>fb.ip=</c>), e.g. 198.18.66.2/24; null leaves eth0 down.</summary>
    public string? Address { get; init; }

    /// <summary>More <c>fb.*</c> settings for the guest's /init: fb.ip1= (eth1), fb.mac=, fb.ip6=, fb.gw=, fb.mtu=.</summary>
    public IReadOnlyList<string> KernelArguments { get; init; } = [];

    /// <summary>How long <see cref="QemuGuest.WaitReady"/> waits for the ready marker. TCG on a busy machine is slow:
    /// 10-15 s at load 40 here, far more when test processes compete for the cores.</summary>
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromSeconds(300);
}
