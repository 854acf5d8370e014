using FastBridge.Switching;
using static FastBridge.Switching.MacWords;
using static FastBridge.Tests.Infrastructure.Stations;

namespace FastBridge.Tests.Switching;

/// <summary>Fair eviction on its own: a store filled directly, victims chosen by the port counts.</summary>
public class FairEvictionTests
{
    private const ushort Vlan = 1;

    private static void Add(MacStore store, int station, int port, uint stamp = 0, bool isStatic = false) =>
        Assert.True(store.AddUnpublished(MakeKey(Mac(station), Vlan), MakeValue(port, stamp, isStatic)));

    private static int Find(MacStore store, int station)
    {
        ulong key = MakeKey(Mac(station), Vlan);
        for (int i = 0; i < store.Slots.Length; i++)
        {
            if (store.Slots[i].Key == key)
            {
                return i;
            }
        }

        return -1;
    }

    [Fact]
    public void The_cache_follows_the_port_that_grows_past_the_heaviest()
    {
        var store = new MacStore(64);
        Assert.Equal(-1, store.Eviction.Heaviest);
        Add(store, 1, port: 1);
        Assert.Equal(1, store.Eviction.Heaviest);
        Add(store, 2, port: 2);
        Assert.Equal(1, store.Eviction.Heaviest); // a tie does not take over
        Add(store, 3, port: 2);
        Assert.Equal(2, store.Eviction.Heaviest);
    }

    [Fact]
    public void Only_a_lighter_port_may_evict()
    {
        var store = new MacStore(16);
        for (int i = 0; i < 4; i++)
        {
            Add(store, i, port: 1);
        }

        Assert.False(store.Eviction.MayEvictFor(port: 1, mine: 4)); // the heaviest port itself
        Assert.False(store.Eviction.MayEvictFor(port: 2, mine: 4)); // a tie
        Assert.True(store.Eviction.MayEvictFor(port: 2, mine: 3));
        Assert.False(new MacStore(16).Eviction.MayEvictFor(port: 2, mine: 0)); // nothing to take from
    }

    [Fact]
    public void A_victim_comes_from_the_heaviest_port_and_its_room_stays_reserved()
    {
        var store = new MacStore(8);
        for (int i = 0; i < 6; i++)
        {
            Add(store, i, port: 1);
        }

        Add(store, 10, port: 2);
        Add(store, 11, port: 3, isStatic: true);
        Assert.Equal(8, store.Count);
        Assert.False(store.TryReserve());

        Assert.True(store.Eviction.TryEvictFor(port: 3, mine: 0, now: 0, aging: 0));

        Assert.Equal(5, store.Dynamic.Get(1));
        Assert.Equal(1, store.Dynamic.Get(2));
        Assert.Equal(1, store.Statics.Get(3));
        Assert.Equal(8, store.Count); // the victim's unit of Count is the caller's now
        Assert.NotEqual(-1, Find(store, 10));
        Assert.NotEqual(-1, Find(store, 11));
    }

    [Fact]
    public void Static_entries_are_never_victims()
    {
        var store = new MacStore(8);
        for (int i = 0; i < 8; i++)
        {
            Add(store, i, port: 1, isStatic: true);
        }

        // Even a port that claims to be heavier finds no dynamic victim among static entries.
        store.TryAddDynamic(port: 1, limit: 0);
        Assert.False(store.Eviction.TryEvictFor(port: 2, mine: 0, now: 0, aging: 0));
        Assert.Equal(8, store.Statics.Get(1));
    }

    [Fact]
    public void An_expired_entry_of_any_port_is_a_victim()
    {
        var store = new MacStore(4);
        for (int i = 0; i < 3; i++)
        {
            store.TryAddDynamic(port: 5, limit: 0); // the heaviest port's stations are all still being learned
        }

        Add(store, 1, port: 1, stamp: 105);
        Add(store, 2, port: 2, stamp: 0); // expired at now=110, aging 10
        Add(store, 3, port: 3, stamp: 105);

        Assert.True(store.Eviction.TryEvictFor(port: 3, mine: 1, now: 110, aging: 10));

        Assert.Equal(0, store.Dynamic.Get(2));
        Assert.Equal(1, store.Dynamic.Get(1));
        Assert.Equal(-1, Find(store, 2));
        Assert.NotEqual(-1, Find(store, 1));
    }

    [Fact]
    public void A_stale_cache_refuses_then_nominates_a_heavier_port_it_saw()
    {
        var store = new MacStore(16);
        for (int i = 0; i < 5; i++)
        {
            Add(store, i, port: 1);
        }

        for (int i = 0; i < 4; i++)
        {
            Add(store, 10 + i, port: 2);
        }

        // Port 1's entries go, but one new station is still being learned there: the cache says port 1.
        for (int i = 0; i < 5; i++)
        {
            int slot = Find(store, i);
            Assert.True(store.TryRemove(slot, store.Slots[slot].Value));
        }

        store.TryAddDynamic(port: 1, limit: 0);
        Assert.Equal(1, store.Eviction.Heaviest);

        Assert.False(store.Eviction.TryEvictFor(port: 3, mine: 0, now: 0, aging: 0));
        Assert.Equal(2, store.Eviction.Heaviest);
        Assert.True(store.Eviction.TryEvictFor(port: 3, mine: 0, now: 0, aging: 0));
        Assert.Equal(3, store.Dynamic.Get(2));
    }

    [Fact]
    public void A_rescan_finds_the_heaviest_port_after_removals()
    {
        var store = new MacStore(16);
        for (int i = 0; i < 5; i++)
        {
            Add(store, i, port: 1);
        }

        Add(store, 10, port: 2);
        Add(store, 11, port: 2);
        for (int i = 0; i < 4; i++)
        {
            int slot = Find(store, i);
            Assert.True(store.TryRemove(slot, store.Slots[slot].Value));
        }

        Assert.Equal(1, store.Eviction.Heaviest);
        store.Eviction.Rescan();
        Assert.Equal(2, store.Eviction.Heaviest);
    }
}
