def test_a_program_manager_qualifies_and_assigns(client, make, login_as):
    pm = login_as(make.pm)
    assert pm.role == "program_manager"
    case = make.case("assigned")
    response = client.get(f"/cases/{case.key}")
    assert response.status_code == 200
    assert case.key in response.text


def test_every_state_can_be_built(make):
    for state in ("qualified", "assigned", "mitigating", "in_review", "closed", "dismissed"):
        make.case(state)
