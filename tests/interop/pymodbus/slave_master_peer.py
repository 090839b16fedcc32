"""A pymodbus 3.0 slave for the interop tests of Neokernel's master.

Serves units 1 and 2 over TCP (--port N) or RTU (--serial PATH [--baud B] [--parity N|E|O]),
200 zero-based points per table, with known contents so a test can check what it reads:
holding[i] = i (unit 2: 2000 + i), input[i] = 1000 + i, coils[i] = discrete[i] = i odd.
An address past 199 is answered with exception 02. FC43/14 reports vendor "Neokernel interop",
product code "NK-PEER", revision "3.0". Prints "ready" when it serves.
"""
import argparse
import asyncio
import logging

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.device import ModbusDeviceIdentification
from pymodbus.server import StartAsyncSerialServer, StartTcpServer
from pymodbus.transaction import ModbusRtuFramer

POINTS = 200


def unit(holding_base):
    return ModbusSlaveContext(
        di=ModbusSequentialDataBlock(0, [i % 2 for i in range(POINTS)]),
        co=ModbusSequentialDataBlock(0, [i % 2 for i in range(POINTS)]),
        hr=ModbusSequentialDataBlock(0, [holding_base + i for i in range(POINTS)]),
        ir=ModbusSequentialDataBlock(0, [1000 + i for i in range(POINTS)]),
        zero_mode=True,
    )


def identity():
    device = ModbusDeviceIdentification()
    device.VendorName = "Neokernel interop"
    device.ProductCode = "NK-PEER"
    device.MajorMinorRevision = "3.0"
    return device


async def serve_serial(context, args):
    server = await StartAsyncSerialServer(
        context=context, identity=identity(), framer=ModbusRtuFramer, port=args.serial, baudrate=args.baud,
        parity=args.parity, stopbits=1, bytesize=8, timeout=0.005, defer_start=True)
    await server.start()
    print("ready", flush=True)
    await server.serve_forever()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int)
    parser.add_argument("--serial")
    parser.add_argument("--baud", type=int, default=19200)
    parser.add_argument("--parity", default="E")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    context = ModbusServerContext(slaves={1: unit(0), 2: unit(2000)}, single=False)
    if args.serial:
        asyncio.run(serve_serial(context, args))
    else:
        print("ready", flush=True)
        StartTcpServer(context=context, identity=identity(), address=("127.0.0.1", args.port), allow_reuse_address=True)


if __name__ == "__main__":
    main()
