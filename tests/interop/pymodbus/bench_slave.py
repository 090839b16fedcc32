"""A pymodbus TCP slave (Debian's python3-pymodbus 3.0.0): an anchor of the slave-throughput benchmark.

usage: bench_slave.py PORT

Serves 200 holding registers on 127.0.0.1:PORT, any unit id, until killed; prints "listening" first.
"""
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartTcpServer


def main():
    store = ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, [0] * 200))
    context = ModbusServerContext(slaves=store, single=True)
    print("listening", flush=True)
    StartTcpServer(context=context, address=("127.0.0.1", int(sys.argv[1])))


if __name__ == "__main__":
    main()
