"""The intake slots: at most n intakes at work per process, the others waiting as
coroutines in arrival order; a request that goes away while waiting gives up its turn."""

import asyncio

from service.app import AsyncFifoSlots


def test_waiters_enter_in_arrival_order_and_never_more_than_n_at_once():
    async def main():
        slots, order, inside, most = AsyncFifoSlots(2), [], [0], [0]

        async def request(i):
            async with slots:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                order.append(i)
                await asyncio.sleep(0.001 * (5 - i % 5))
                inside[0] -= 1

        tasks = []
        for i in range(12):
            tasks.append(asyncio.create_task(request(i)))
            await asyncio.sleep(0)  # arrive one after the other
        await asyncio.gather(*tasks)
        return order, most[0]

    order, most = asyncio.run(main())
    assert order == list(range(12)) and most == 2


def test_a_cancelled_waiter_neither_blocks_the_queue_nor_keeps_a_slot():
    async def main():
        slots = AsyncFifoSlots(1)
        release = asyncio.Event()
        entered = []

        async def holder():
            async with slots:
                entered.append("holder")
                await release.wait()

        async def waiter(name):
            async with slots:
                entered.append(name)

        h = asyncio.create_task(holder())
        await asyncio.sleep(0)
        gone = asyncio.create_task(waiter("gone"))
        later = asyncio.create_task(waiter("later"))
        await asyncio.sleep(0)
        gone.cancel()  # the client hung up while waiting its turn
        await asyncio.sleep(0)
        release.set()
        await asyncio.wait_for(asyncio.gather(h, later), 2)
        assert gone.cancelled()
        async with slots:  # the slot came back: nobody holds it now
            entered.append("after")
        return entered

    assert asyncio.run(main()) == ["holder", "later", "after"]
