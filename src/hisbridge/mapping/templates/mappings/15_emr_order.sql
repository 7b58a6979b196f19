-- 医嘱处方：只发送含前置软件所需药品（抗病毒、抗菌、解热镇痛、止咳、艾滋病、结核、血吸虫病药）
-- 的处方；每个处方明细一行，item_drug_code 只用于药品筛选，不发送。
-- Prescriptions holding at least one wanted drug; one row per item, item_drug_code filters.
-- table: emr_order
-- key: id
-- watermark: updated_at
-- delete_flag: deleted
-- drugs: item_drug_code
-- codes: id_card_type_code=id_card_type, dept_code=department
SELECT m.presc_no AS id,
       m.visit_no AS patient_id,
       CASE m.visit_class WHEN 'O' THEN '1' WHEN 'E' THEN '2' ELSE '6' END AS activity_type_code,
       m.visit_no AS serial_number,
       p.name AS patient_name,
       p.id_type AS id_card_type_code,
       p.id_no AS id_card,
       m.presc_no AS prescription_no,
       m.presc_type AS prescription_type_code,
       m.presc_date AS prescription_issuance_date,
       m.presc_date AS excute_date,
       m.doctor AS prescription_issuance_id,
       m.dispenser AS prescription_dispensing_id,
       m.dept AS dept_code,
       k.dept_name AS dept_name,
       m.doctor AS operator_id,
       m.presc_date AS operation_time,
       '0' AS invalid_flag,
       i.drug_code AS item_drug_code,
       m.del_flag AS deleted,
       k.org_code AS org_code,
       m.modify_time AS updated_at
FROM presc_master m
JOIN presc_detail i ON i.presc_no = m.presc_no
JOIN pat_master_index p ON p.patient_id = m.patient_id
LEFT JOIN dept_dict k ON k.dept_code = m.dept
WHERE m.modify_time >= :since AND m.modify_time <= :until
ORDER BY m.modify_time, m.presc_no
