namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// Tests that measure the whole process (allocated bytes) run alone: xunit runs a collection with parallelization
/// disabled after the parallel ones, by itself.
/// </summary>
[CollectionDefinition(nameof(QuietCollection), DisableParallelization = true)]
public sealed class QuietCollection;
