"""pymodbus (Debian's python3-pymodbus 3.0.0) as a master against a Neokernel slave.

usage: master_all.py tcp PORT UNIT | rtu TTY UNIT   (RTU at 19200 8N1: pyserial cannot set parity on a pty)

Runs every function code the slave serves, checks each answer, checks exceptions 02 and 03, and
over RTU a broadcast write that gets no reply. The slave's map must have 10,000 points per table,
with input register 3 = 4242 and discrete input 2 set. Prints one line per check and "ALL OK"
at the end; exits 1 at the first check that fails, saying which.
"""
import sys

from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.mei_message import ReadDeviceInformationRequest


def check(name, condition, detail):
    if not condition:
        print(f"FAIL {name}: {detail}", flush=True)
        sys.exit(1)
    print(f"ok {name}", flush=True)


def registers(response):
    return None if response.isError() else list(response.registers)


def main():
    mode, where, unit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "tcp":
        client = ModbusTcpClient("127.0.0.1", port=int(where), timeout=3)
    else:
        client = ModbusSerialClient(port=where, baudrate=19200, parity="N", stopbits=1, timeout=1, broadcast_enable=True)
    check("connect", client.connect(), "no connection")

    client.write_register(10, 1234, slave=unit)
    check("fc06+fc03", registers(client.read_holding_registers(10, 1, slave=unit)) == [1234], "register 10 is not 1234")
    client.write_registers(20, [1, 2, 3], slave=unit)
    check("fc16", registers(client.read_holding_registers(20, 3, slave=unit)) == [1, 2, 3], "registers 20..22")
    client.write_coil(5, True, slave=unit)
    check("fc05+fc01", client.read_coils(5, 1, slave=unit).bits[0], "coil 5 not set")
    client.write_coils(16, [True, False, True], slave=unit)
    check("fc15", client.read_coils(16, 3, slave=unit).bits[:3] == [True, False, True], "coils 16..18")
    check("fc02", client.read_discrete_inputs(0, 8, slave=unit).bits[:4] == [False, False, True, False], "discrete input 2")
    check("fc04", registers(client.read_input_registers(0, 4, slave=unit)) == [0, 0, 0, 4242], "input register 3")
    client.mask_write_register(address=10, and_mask=0xF2F2, or_mask=0x0025, unit=unit)
    expected = (1234 & 0xF2F2) | (0x0025 & ~0xF2F2 & 0xFFFF)
    check("fc22", registers(client.read_holding_registers(10, 1, slave=unit)) == [expected], "masked register 10")
    both = client.readwrite_registers(read_address=20, read_count=2, write_address=21, write_registers=[99], unit=unit)
    check("fc23", registers(both) == [1, 99], f"read/write gave {registers(both)}")
    identity = client.execute(ReadDeviceInformationRequest(read_code=1, object_id=0, unit=unit))
    check("fc43", not identity.isError() and identity.information.get(0) == b"Neokernel", f"identity {identity}")

    outside = client.read_holding_registers(9999, 2, slave=unit)
    check("exception 02", outside.isError() and outside.exception_code == 2, f"{outside}")
    too_many = client.read_holding_registers(0, 126, slave=unit)
    check("exception 03", too_many.isError() and too_many.exception_code == 3, f"{too_many}")

    if mode == "rtu":
        client.write_register(30, 777, slave=0)
        check("broadcast", registers(client.read_holding_registers(30, 1, slave=unit)) == [777], "broadcast write not carried out")

    client.close()
    print("ALL OK", flush=True)


if __name__ == "__main__":
    main()
