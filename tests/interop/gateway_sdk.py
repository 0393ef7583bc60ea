"""One discovery made by the official Python gateway SDK (livepeer-gateway), printed as JSON.

tests/gateway_sdk.rs runs it against `lpconform serve`-like reference orchestrators and compares
what the SDK read with the reference's configuration.

usage: gateway_sdk.py ORCH_URL SIGNER_URL|- [CAPABILITY MODEL_ID]
"""

import json
import sys

from livepeer_gateway import CapabilityId, build_capabilities, get_orch_info


def bits(words):
    return [64 * index + bit for index, word in enumerate(words) for bit in range(64) if word >> bit & 1]


def main():
    orch_url, signer_url = sys.argv[1], sys.argv[2]
    capabilities = None
    if len(sys.argv) == 5:
        capabilities = build_capabilities(CapabilityId(int(sys.argv[3])), sys.argv[4])
    info = get_orch_info(
        orch_url,
        signer_url=None if signer_url == "-" else signer_url,
        capabilities=capabilities,
    )
    caps = info.capabilities
    print(
        json.dumps(
            {
                "transcoder": info.transcoder,
                "address": info.address.hex(),
                "price": [info.price_info.pricePerUnit, info.price_info.pixelsPerUnit]
                if info.HasField("price_info")
                else None,
                "ticket_params": info.HasField("ticket_params"),
                "capabilities": bits(caps.bitstring),
                "version": caps.version,
                "models": {
                    str(number): {
                        model_id: {"warm": model.warm, "capacity": model.capacity}
                        for model_id, model in constraint.models.items()
                    }
                    for number, constraint in caps.constraints.PerCapability.items()
                },
                "capabilities_prices": [
                    [price.capability, price.constraint, price.pricePerUnit, price.pixelsPerUnit]
                    for price in info.capabilities_prices
                ],
                "hardware": [hardware.model_id for hardware in info.hardware],
                "session_id": info.auth_token.session_id,
                "expiration": info.auth_token.expiration,
            },
            sort_keys=True,
        )
    )


if __name__ == "__main__":
    main()
